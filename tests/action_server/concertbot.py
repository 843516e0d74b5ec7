"""Custom actions of the shared ``concertbot`` (see its ACTIONS.md), written for Parley's tests.

- ``action_search_concerts`` utters "Foo Fighters, Katy Perry" and sets the list slot
  ``concerts`` to ``[{"artist": "Foo Fighters", "reviews": 4.5}, {"artist": "Katy Perry",
  "reviews": 5.0}]``.
- ``action_search_venues`` utters "here are some venues I found" and "Big Arena, Rock Cellar",
  and sets ``venues`` to ``[{"name": "Big Arena", "reviews": 4.5}, {"name": "Rock Cellar",
  "reviews": 5.0}]``.
- ``action_show_concert_reviews`` / ``action_show_venue_reviews`` utter "concerts from slots:
  <value>" / "venues from slots: <value>" (the slot's value as Python prints it).
- ``action_set_music_preference`` sets ``likes_music`` to true after intent ``affirm``, false
  after ``deny``, and returns no event otherwise.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

DomainDict = dict[str, Any]

CONCERTS = [{"artist": "Foo Fighters", "reviews": 4.5}, {"artist": "Katy Perry", "reviews": 5.0}]
VENUES = [{"name": "Big Arena", "reviews": 4.5}, {"name": "Rock Cellar", "reviews": 5.0}]


class ActionSearchConcerts(Action):
    def name(self) -> str:
        return "action_search_concerts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text=", ".join(concert["artist"] for concert in CONCERTS))
        return [SlotSet("concerts", CONCERTS)]


class ActionSearchVenues(Action):
    def name(self) -> str:
        return "action_search_venues"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text="here are some venues I found")
        dispatcher.utter_message(text=", ".join(venue["name"] for venue in VENUES))
        return [SlotSet("venues", VENUES)]


class ActionShowConcertReviews(Action):
    def name(self) -> str:
        return "action_show_concert_reviews"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text=f"concerts from slots: {tracker.get_slot('concerts')}")
        return []


class ActionShowVenueReviews(Action):
    def name(self) -> str:
        return "action_show_venue_reviews"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text=f"venues from slots: {tracker.get_slot('venues')}")
        return []


class ActionSetMusicPreference(Action):
    def name(self) -> str:
        return "action_set_music_preference"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "affirm":
            return [SlotSet("likes_music", True)]
        if intent == "deny":
            return [SlotSet("likes_music", False)]
        return []
