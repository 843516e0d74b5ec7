"""Custom actions of the shared ``retail-demo`` bot (see its ACTIONS.md), written for Parley's
tests, over an invented SQLite database.

The database is made when this module is first imported, in the file named by the environment
variable ``RETAIL_DEMO_DB`` or, when that is unset, in a fresh temporary file whose path is then
put into ``RETAIL_DEMO_DB`` (so Sanic's worker process, which imports this module again, uses the
same file). An existing file is reused as it is.

Table ``inventory(size REAL, color TEXT)``: one row per shoe in stock. Sizes 7, 7.5, 8, 8.5, 9,
9.5, 10, 11 and 12 in the colors black, white, blue and grey; and in addition red in sizes 8, 9
and 10, brown in sizes 9 and 10. Nothing in orange (nor in any other color), no size 13.

Table ``orders(order_number INTEGER, order_date TEXT, email TEXT, color TEXT, size REAL,
status TEXT)``, where the latest order of an email is the one with the highest ``order_date``:

====  ==========  ===================  =====  ====  ==========
no.   date        email                color  size  status
====  ==========  ===================  =====  ====  ==========
1001  2024-01-15  example@rasa.com     black  9     delivered
1002  2024-03-02  example@rasa.com     blue   9     shipped
1003  2024-02-10  a@b.com              white  8     processing
1004  2024-02-20  asdf@asdf.com        grey   10    delivered
1005  2024-02-28  test@test.com        red    9     order pending
1006  2024-01-05  xyz@hulaloo.ai       brown  10    returning
====  ==========  ===================  =====  ====  ==========

So ``example@rasa.com``'s order status is "shipped" until it is cancelled or returned;
``nobody@example.com`` has no order.

Actions:

- ``action_product_search``: is there a shoe of slot ``size`` (a number, or digits in text) and
  slot ``color`` (any case)? ``utter_in_stock`` or ``utter_no_stock``; both slots are cleared.
- ``action_survey_submit``: ``utter_open_feedback`` then ``utter_survey_end``; sets
  ``survey_complete`` to true.
- ``action_order_status``: ``utter_order_status`` with ``status=<status>`` for the latest order of
  slot ``email``, or ``utter_no_order``.
- ``action_cancel_order``: sets that order's status to "cancelled" and utters
  ``utter_order_cancel_finish``, or ``utter_no_order``.
- ``action_return``: sets it to "returning" and utters ``utter_return_finish``, or
  ``utter_no_order``.
- ``action_give_name``: returns ``BotUttered("my name is bot? idk",
  metadata={"utter_action": "action_give_name", "source": "retail_demo"})`` (no dispatcher
  message).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sqlite3
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import BotUttered, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

DomainDict = dict[str, Any]

DB_ENV = "RETAIL_DEMO_DB"

_BASE_COLORS = ("black", "white", "blue", "grey")
_BASE_SIZES = (7.0, 7.5, 8.0, 8.5, 9.0, 9.5, 10.0, 11.0, 12.0)
INVENTORY: list[tuple[float, str]] = [
    *((size, color) for color in _BASE_COLORS for size in _BASE_SIZES),
    (8.0, "red"),
    (9.0, "red"),
    (10.0, "red"),
    (9.0, "brown"),
    (10.0, "brown"),
]
ORDERS: list[tuple[int, str, str, str, float, str]] = [
    (1001, "2024-01-15", "example@rasa.com", "black", 9.0, "delivered"),
    (1002, "2024-03-02", "example@rasa.com", "blue", 9.0, "shipped"),
    (1003, "2024-02-10", "a@b.com", "white", 8.0, "processing"),
    (1004, "2024-02-20", "asdf@asdf.com", "grey", 10.0, "delivered"),
    (1005, "2024-02-28", "test@test.com", "red", 9.0, "order pending"),
    (1006, "2024-01-05", "xyz@hulaloo.ai", "brown", 10.0, "returning"),
]


def _create_database(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE inventory (size REAL, color TEXT)")
        db.execute(
            "CREATE TABLE orders (order_number INTEGER PRIMARY KEY, order_date TEXT, "
            "email TEXT, color TEXT, size REAL, status TEXT)"
        )
        db.executemany("INSERT INTO inventory VALUES (?, ?)", INVENTORY)
        db.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)", ORDERS)


def _database_path() -> Path:
    configured = os.environ.get(DB_ENV)
    if configured:
        path = Path(configured)
        if not path.exists():
            _create_database(path)
        return path
    handle, name = tempfile.mkstemp(prefix="retail-demo-", suffix=".db")
    os.close(handle)
    path = Path(name)
    path.unlink()
    _create_database(path)
    os.environ[DB_ENV] = str(path)
    creator = os.getpid()

    def _remove() -> None:
        if os.getpid() == creator:
            path.unlink(missing_ok=True)

    atexit.register(_remove)
    return path


DB_PATH = _database_path()


@contextlib.contextmanager
def _db() -> Iterator[sqlite3.Connection]:
    with contextlib.closing(sqlite3.connect(DB_PATH)) as db, db:
        yield db


def _size(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _latest_order(db: sqlite3.Connection, email: str) -> tuple[int, str] | None:
    row = db.execute(
        "SELECT order_number, status FROM orders WHERE lower(email) = lower(?) "
        "ORDER BY order_date DESC LIMIT 1",
        (email.strip(),),
    ).fetchone()
    return (int(row[0]), str(row[1])) if row else None


class ActionProductSearch(Action):
    def name(self) -> str:
        return "action_product_search"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        size = _size(tracker.get_slot("size"))
        color = str(tracker.get_slot("color") or "").strip().lower()
        found = None
        if size is not None and color:
            with _db() as db:
                found = db.execute(
                    "SELECT 1 FROM inventory WHERE size = ? AND lower(color) = ? LIMIT 1",
                    (size, color),
                ).fetchone()
        dispatcher.utter_message(response="utter_in_stock" if found else "utter_no_stock")
        return [SlotSet("color", None), SlotSet("size", None)]


class ActionSurveySubmit(Action):
    def name(self) -> str:
        return "action_survey_submit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_open_feedback")
        dispatcher.utter_message(response="utter_survey_end")
        return [SlotSet("survey_complete", True)]


class ActionOrderStatus(Action):
    def name(self) -> str:
        return "action_order_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        email = tracker.get_slot("email")
        order = None
        if email:
            with _db() as db:
                order = _latest_order(db, str(email))
        if order is None:
            dispatcher.utter_message(response="utter_no_order")
        else:
            dispatcher.utter_message(response="utter_order_status", status=order[1])
        return []


class _ChangeOrderStatus(Action, ABC):
    """Shared by the two actions below; abstract, so that rasa_sdk does not register it."""

    new_status = ""
    finish_response = ""

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        email = tracker.get_slot("email")
        order = None
        if email:
            with _db() as db:
                order = _latest_order(db, str(email))
                if order is not None:
                    db.execute(
                        "UPDATE orders SET status = ? WHERE order_number = ?",
                        (self.new_status, order[0]),
                    )
        if order is None:
            dispatcher.utter_message(response="utter_no_order")
        else:
            dispatcher.utter_message(response=self.finish_response)
        return []


class ActionCancelOrder(_ChangeOrderStatus):
    new_status = "cancelled"
    finish_response = "utter_order_cancel_finish"

    def name(self) -> str:
        return "action_cancel_order"


class ActionReturn(_ChangeOrderStatus):
    new_status = "returning"
    finish_response = "utter_return_finish"

    def name(self) -> str:
        return "action_return"


class ActionGiveName(Action):
    def name(self) -> str:
        return "action_give_name"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return [
            BotUttered(
                "my name is bot? idk",
                metadata={"utter_action": "action_give_name", "source": "retail_demo"},
            )
        ]
