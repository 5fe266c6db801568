"""Pickers: a form field that finds an object by what a person knows of it (code, GSRN, name, id)
instead of an internal number, and the JSON search behind its suggestions.

Each app states a `PickerLookup` next to its selectors (what the user may see, how a typed text
resolves, what a suggestion shows); `PickerField` resolves the submitted text through it on the
server, so the field works without JavaScript; static/js/pickers.js turns the text input into an
ARIA combobox fed by `picker_search_view`. A suggestion chosen in the browser also sends the
object's id in a hidden input; the server trusts it only while the text still reads as that
object's label, and only within the user's scope, like a typed text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Model, QuerySet
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

PICK_SUFFIX = "_pick"
SUGGESTIONS_MAX = 20
TERM_MAX = 100


@dataclass(frozen=True)
class PickerLookup:
    """How one kind of object is picked.

    `scope(user, params)`: the objects the user may pick (a selector), `params` the few filters a
    form may narrow by (picker_params). `resolve(qs, text)`: the objects whose key is exactly
    `text`, best tier first (one query). `search(qs, term)`: the suggestions' queryset for a
    term (at most SUGGESTIONS_MAX rows are read). `label(obj)`: one line a person recognises;
    `detail(obj)`: a second, smaller line.
    """

    name: str  # "SPU": in messages
    url_name: str
    scope: Callable[..., QuerySet]
    resolve: Callable[[QuerySet, str], list[Model]]
    search: Callable[[QuerySet, str], QuerySet]
    label: Callable[[Model], str]
    detail: Callable[[Model], str] = lambda obj: ""
    params: tuple[str, ...] = field(default=())

    def suggestions(self, *, user, term: str, params: dict | None = None) -> list[dict]:
        term = (term or "").strip()[:TERM_MAX]
        if not term:
            return []
        rows = self.search(self.scope(user, params or {}), term)[:SUGGESTIONS_MAX]
        return [{"id": obj.pk, "label": self.label(obj), "detail": self.detail(obj)} for obj in rows]


class PickerWidget(forms.TextInput):
    """A text input (the search) and a hidden input (the id picked from a suggestion)."""

    template_name = "common/picker_widget.html"

    def __init__(self, *, lookup: PickerLookup | None = None, attrs=None) -> None:
        super().__init__(attrs={"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.lookup = lookup
        self.params: dict[str, str] = {}
        self.urls: dict[str, str] = {}  # by the value of a switch field (see PickerField.switch)
        self.switch = ""

    def value_from_datadict(self, data, files, name):
        return (data.get(name, ""), data.get(name + PICK_SUFFIX, ""))

    def value_omitted_from_data(self, data, files, name) -> bool:
        return name not in data and name + PICK_SUFFIX not in data

    def format_value(self, value):
        if isinstance(value, Model):
            return self.lookup.label(value) if self.lookup else str(value)
        if isinstance(value, tuple):
            return value[0]
        return super().format_value(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        picked = ""
        if isinstance(value, Model):
            picked = value.pk
        elif isinstance(value, tuple):
            picked = value[1]
        url = reverse(self.lookup.url_name) if self.lookup else ""
        context["widget"].update(
            pick_name=name + PICK_SUFFIX, picked=picked, url=url, params=self.params,
            urls=sorted(self.urls.items()), switch=self.switch,
        )
        return context


class PickerField(forms.Field):
    """Accepts a typed code, GSRN, name or id (or a picked suggestion) and cleans to the object.

    Unknown or ambiguous text is refused with the candidates named; an object outside the user's
    scope is unknown, whatever its key (SPEC §4: no hint that it exists). Set `user` (and, for a
    kind chosen by another field, `lookup`) in the form's __init__.
    """

    widget = PickerWidget
    default_error_messages = {
        "unknown": _("No %(what)s you may choose matches “%(text)s”. Type its code, GSRN or name, "
                     "or pick one from the suggestions."),
        "ambiguous": _("“%(text)s” matches several: %(candidates)s. Type the code of the one you mean."),
    }

    def __init__(self, *, lookup: PickerLookup, initial_by_id: bool = True, **kwargs) -> None:
        kwargs.setdefault("help_text", _("Type a code, GSRN or name and pick from the suggestions."))
        super().__init__(**kwargs)
        self.user = None
        self.params: dict[str, str] = {}
        self.lookup = lookup
        self.initial_by_id = initial_by_id  # a link's initial value is an id (else typed text)

    @property
    def lookup(self) -> PickerLookup:
        return self._lookup

    @lookup.setter
    def lookup(self, value: PickerLookup) -> None:
        self._lookup = value
        self.widget.lookup = value

    def picker_params(self, **params) -> None:
        """Narrow the choice (and the suggestions) by the lookup's own filters, e.g. zone=SE3."""
        self.params = {k: str(v) for k, v in params.items() if k in self.lookup.params}
        self.widget.params = self.params

    def switch(self, *, field_name: str, lookups: dict[str, PickerLookup]) -> None:
        """Let the script ask the lookup that another field's value names (a kind select)."""
        self.widget.switch = field_name
        self.widget.urls = {key: reverse(lk.url_name) for key, lk in lookups.items()}

    def to_python(self, value):
        if isinstance(value, Model):
            return value
        text, picked = value if isinstance(value, tuple) else (value, "")
        text = (text or "").strip()[:TERM_MAX]
        ProhibitNullCharactersValidator()(f"{text}{picked}")  # a NUL would reach the queries below
        if not text and not picked:
            return None
        scope = self.lookup.scope(self.user, self.params)
        if str(picked).isdigit():
            chosen = scope.filter(pk=int(picked)).first()
            if chosen is not None and (not text or text == self.lookup.label(chosen)):
                return chosen
        if not text:
            return None
        found = self.lookup.resolve(scope, text)
        if not found:
            raise forms.ValidationError(
                self.error_messages["unknown"], code="unknown",
                params={"what": self.lookup.name, "text": text},
            )
        if len(found) > 1:
            candidates = "; ".join(self.lookup.label(obj) for obj in found[:5])
            raise forms.ValidationError(
                self.error_messages["ambiguous"], code="ambiguous",
                params={"text": text, "candidates": candidates},
            )
        return found[0]

    def prepare_value(self, value):
        """An initial id (a link's ?spu=12) shows as the object, if the user may pick it."""
        if not self.initial_by_id or not self.user:
            return value
        if isinstance(value, int | str) and str(value).isdigit() and len(str(value)) < 12:
            return self.lookup.scope(self.user, self.params).filter(pk=int(value)).first() or ""
        return value


def picker_tiers(tiers: list[list[Model]]) -> list[Model]:
    """The first non-empty tier (exact code before GSRN before name before id): what `resolve`
    returns, so a code that is also someone's id means the code."""
    for tier in tiers:
        if tier:
            return tier
    return []


def picker_search_view(lookup: PickerLookup):
    """The JSON suggestions for `?q=`: {"results": [{"id", "label", "detail"}]}, scoped, capped."""

    @require_GET
    @login_required
    def view(request: HttpRequest) -> JsonResponse:
        params = {k: request.GET[k][:64] for k in lookup.params if request.GET.get(k)}
        results = lookup.suggestions(user=request.user, term=request.GET.get("q", ""), params=params)
        return JsonResponse({"results": results})

    return view
