"""The client-facing checklist: what a client switches, links, confirms and grants before the agency
connects their Instagram account. Pure text; it never touches the network, settings or keyring."""

from __future__ import annotations

CHECKLIST = """\
# Before we connect your Instagram account

We read your Instagram stories' statistics through Meta's official API. Meta only allows that for
professional Instagram accounts linked to a Facebook Page. Please go through these steps, in order,
before our call. Each takes a minute or two.

## 1. Make your Instagram account professional
- [ ] In the Instagram app: **Settings → Account type and tools → Switch to professional account**.
- [ ] Choose **Business** or **Creator**. (Personal accounts cannot share statistics with any app.)

## 2. Have a Facebook Page for your brand
- [ ] You (or your company) need a Facebook Page, not only a personal Facebook profile.
- [ ] If a Business Portfolio (Business Manager) owns the Page, tell us: we will ask for one more
      permission (*business_management*).

## 3. Link the Page to your Instagram account
- [ ] In the Instagram app: **Settings → Accounts Center** (or **Sharing to other apps →
      Facebook**), and pick **the Page**, not your personal profile.
- [ ] If another Page, or another Instagram account, is linked by mistake, unlink it there first.

## 4. Confirm the link on the Page
- [ ] On Facebook, open the Page's **Settings → Linked accounts → Instagram**. If a "review
      connection" prompt is waiting, confirm it. (Until then, the link does not count.)

## 5. Give the right person a role on the Page
- [ ] The person who logs in for us needs **full control** of the Page, or at least access with the
      **Insights** task (Page settings → Page access).

## 6. During the login (we send you a link, or do it with you)
- [ ] Use a private browser window if several Facebook or Instagram accounts are logged in on your
      computer: the account logged in there is the one that gets connected.
- [ ] When Meta asks which Pages and Instagram accounts to share, tick **your Page and your
      Instagram account** ("Edit access", or "Opt in to all current and future Pages").
- [ ] Keep **every permission** ticked; unticking one (for example "insights") stops the statistics.
- [ ] Confirm Meta's last screen ("You've linked..."), so that it sends you back to us.

## 7. Afterwards
- [ ] Changing your Facebook or Instagram password disconnects us: tell us, and we send a new login
      link.
- [ ] Removing our app in Facebook's **Business Integrations** settings disconnects us too.

Thank you! If anything looks different from this list, send us a screenshot.
"""


def client_checklist() -> str:
    """The Markdown checklist an agency sends a client before connecting them."""
    return CHECKLIST
