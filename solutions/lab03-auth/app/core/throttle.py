"""Brute-force protection: after too many failed logins a username is locked for a while.

Counted per username (not per client address) so that one attacker spreading guesses over many
addresses is still stopped; usernames that do not exist are counted too, so a lockout does not
reveal which accounts exist.

The count lives in PostgreSQL (`login_attempts`), so every instance of the app shares it, and an
attempt is counted *before* its password is checked, by one atomic statement: of any number of
attempts arriving at once, on any instance, at most `max_failures` get a password check and the
others are refused without one. Counting after the check ("is it locked? check the password; count
the failure") would let every attempt of a burst through the question before the first answer is
counted, and password hashing is slow on purpose: that window is wide. A success resets the count.
"""

import math
from datetime import timedelta

from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from app.models import LoginAttempts

# One statement, so concurrent attempts (whichever instance runs them) are counted one after the
# other on the row's lock. A lockout that is over starts the count afresh; one that is running is
# not extended by the attempts it refuses.
_COUNT_ATTEMPT = text(
    """
    INSERT INTO login_attempts AS a (username, attempts, locked_until)
    VALUES (:username, 1, CASE WHEN :max_failures <= 1 THEN now() + :lockout END)
    ON CONFLICT (username) DO UPDATE SET
        attempts = CASE WHEN a.locked_until <= now() THEN excluded.attempts ELSE a.attempts + 1 END,
        locked_until = CASE
            WHEN a.locked_until <= now() THEN excluded.locked_until
            WHEN a.locked_until > now() THEN a.locked_until
            WHEN a.attempts + 1 >= :max_failures THEN now() + :lockout
        END
    RETURNING attempts, extract(epoch FROM locked_until - now()) AS seconds_left
    """
)


class LoginThrottle:
    def __init__(self, max_failures: int, lockout_seconds: int) -> None:
        self.max_failures = max_failures
        self.lockout_seconds = lockout_seconds

    def attempt(self, db: Session, username: str) -> int | None:
        """Count a login attempt before its password is checked, and commit it at once so that
        every instance sees it. None: go on and check the password (a wrong one stays counted);
        else the seconds until this username may try again (answer 429 without checking)."""
        params = {
            "username": username,
            "max_failures": self.max_failures,
            "lockout": timedelta(seconds=self.lockout_seconds),
        }
        attempts, seconds_left = db.execute(_COUNT_ATTEMPT, params).one()
        db.commit()
        if attempts <= self.max_failures:
            return None
        return max(1, math.ceil(seconds_left if seconds_left is not None else self.lockout_seconds))

    def succeeded(self, db: Session, username: str) -> None:
        """The right password: the failures so far are forgiven."""
        db.execute(delete(LoginAttempts).where(LoginAttempts.username == username))
        db.commit()
