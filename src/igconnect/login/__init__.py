"""The ways in: how a token comes to be a connection.

- `flow`: the browser login on this machine (loopback callback server, or the pasted address).
- `invite`: a login link the client opens on their own device, completed here with the address.
- `system_user`: a Business Manager system user's token, handed over on stdin.
- `finish`: what each of them brings back, checked (the same-user rule, no downgrade, the
  permissions story collection needs) and stored.
- `callback_server`, `pages`: the loopback server and its HTML pages.

May import: connections, meta, meta_app, state, secretstore, settings, errors, redact.
"""
