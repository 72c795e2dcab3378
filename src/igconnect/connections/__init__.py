"""Connections: authorised Meta logins stored under a name, and the accounts each one reaches.

- `model`: Connection, Account, Page, Reach (plain data).
- `store`: their rows in the state store; the token lives in the secret store under `token:<id>`.
- `discovery`: what a token was found to reach, as the records a connection stores.
- `refresh`: keeping Instagram Login tokens alive.
- `clients`: the one place a Graph client acting as a connection is built.
- `usage`: the last rate-limit usage Meta reported per connection.
- `status`: live status, each token confirmed with Meta and recorded.
- `service`: what `igconnect connections ...` and `igconnect logout` do.

May import: meta, meta_app, state, secretstore, settings, errors, redact (never login/, cli/;
`service` reads trackers/ to say what a connection carries).
"""
