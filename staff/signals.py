"""Signals the staff app sends about accounts, so the apps above it can act without staff importing them.

`account_deactivated` is sent inside the transaction that switched the account off; a receiver returns a list of
sentences for the supervisor (what it did about the account's work), which the accounts page shows."""

from __future__ import annotations

from django.dispatch import Signal

# Sent with user=<the account>, by=<the supervisor>, now=<the moment>.
account_deactivated = Signal()
