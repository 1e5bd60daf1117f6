"""培训场地维护 (manual §3.2.1.6 / §3.2.2.6): the enterprise's venues — query (name, address), 【新增】 【修改】
【删除】 — with a Leaflet map that fills the coordinates, and 搜索地址 through a configured geocoder.

One screen (``VenueView``, ``/venues/``) for both programme menus: venues belong to the enterprise, not to a
programme (menu entries in ``views/menu.py``). Every write calls ``actions.venues`` (scope, rules, audit); a failed
save shows each error under its field with the input kept. Reviewers (their city) and the admin read the list.

Map settings come from config.py (``MAP_TILE_URL``, ``MAP_TILE_ATTRIBUTION``, ``MAP_TILE_SUBDOMAINS``,
``MAP_COORDINATE_SYSTEM``, ``MAP_GEOCODER_URL``, ``MAP_GEOCODER_TIMEOUT``). Without a tile URL no map is drawn and
the page says why; the form works with typed address and coordinates. The geocoder is called by the server
(``/venues/geocode``, with a timeout): the page's Content-Security-Policy lets the browser connect to this site
only, and the provider's key stays on the server.
"""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, has_access_api
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions import venues as va
from actions.specs import VENUE
from core.errors import NotFound
from core.validators import normalize_text
from models.base import db
from models.enterprise import Enterprise, Venue
from models.scope import Actor, current_actor, scope_condition
from queries.paging import Page, paginate
from queries.search import contains
from views.glue import attempt, flash_error
from views.ui.forms import abort_for, error_map, posted, row_values

log = logging.getLogger(__name__)

PAGE_SIZE = 20
#: Longest search text and answer read from a geocoder.
MAX_QUERY = 100
MAX_GEOCODER_ANSWER = 1024 * 1024
MAX_GEOCODER_RESULTS = 8


# ---------------------------------------------------------------------------------------------------------
# The list's query: one COUNT and one SELECT whatever the page size (queries.paging)
# ---------------------------------------------------------------------------------------------------------


def venue_page(session: Session, actor: Actor, name: Optional[str], address: Optional[str], page: Any) -> Page:
    """The actor's venues (scope) whose name / address contain the search texts, newest first; items are
    ``(Venue, enterprise name)`` rows."""
    stmt = (select(Venue, Enterprise.name.label("enterprise_name"))
            .join(Enterprise, Venue.enterprise_id == Enterprise.id)
            .where(scope_condition(Venue, actor)))
    if name:
        stmt = stmt.where(contains(Venue.name, name))
    if address:
        stmt = stmt.where(contains(Venue.address, address))
    return paginate(session, stmt.order_by(Venue.id.desc()), page, PAGE_SIZE, rows="rows")


def map_settings() -> dict[str, Any]:
    """What the form's map needs from the configuration."""
    config = current_app.config
    return {
        "tile_url": config.get("MAP_TILE_URL") or "",
        "attribution": config.get("MAP_TILE_ATTRIBUTION") or "",
        "subdomains": config.get("MAP_TILE_SUBDOMAINS") or "abc",
        "coordinate_system": config.get("MAP_COORDINATE_SYSTEM") or "WGS-84",
        "geocoder": bool(config.get("MAP_GEOCODER_URL")),
    }


# ---------------------------------------------------------------------------------------------------------
# The geocoder behind 搜索地址
# ---------------------------------------------------------------------------------------------------------


class GeocoderUnavailable(Exception):
    """The geocoder did not answer in time, or not with something we understand."""


def fetch_json(url: str, timeout: float) -> Any:
    """GET ``url`` and parse its JSON answer (at most ``MAX_GEOCODER_ANSWER`` bytes).

    :raises GeocoderUnavailable: network error, timeout, HTTP error, too large or not JSON.
    """
    req = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "apprenticeship-filing"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:  # noqa: S310 - the URL comes from config only
            body = answer.read(MAX_GEOCODER_ANSWER + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise GeocoderUnavailable(str(exc)) from exc
    if len(body) > MAX_GEOCODER_ANSWER:
        raise GeocoderUnavailable("answer too large")
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise GeocoderUnavailable("not JSON") from exc


def _place(address: Any, lon: Any, lat: Any) -> Optional[dict]:
    try:
        longitude, latitude = Decimal(str(lon).strip()), Decimal(str(lat).strip())
    except (InvalidOperation, ValueError):
        return None
    if not (va.LONGITUDE_RANGE[0] <= longitude <= va.LONGITUDE_RANGE[1]
            and va.LATITUDE_RANGE[0] <= latitude <= va.LATITUDE_RANGE[1]):
        return None  # outside China: never offered
    step = va.COORDINATE_STEP
    return {"address": str(address or "").strip()[:200], "longitude": str(longitude.quantize(step)),
            "latitude": str(latitude.quantize(step))}


def parse_geocoder_answer(data: Any, query: str) -> list[dict]:
    """``[{"address", "longitude", "latitude"}]`` from the answer of 高德 (v3/geocode/geo), 天地图 (geocoder),
    Nominatim, or a service answering ``{"results": [{"address", "longitude", "latitude"}]}``."""
    places: list[Optional[dict]] = []
    if isinstance(data, dict) and isinstance(data.get("geocodes"), list):  # 高德: "location": "lng,lat"
        for item in data["geocodes"]:
            if isinstance(item, dict) and isinstance(item.get("location"), str) and "," in item["location"]:
                lon, lat = item["location"].split(",", 1)
                places.append(_place(item.get("formatted_address") or query, lon, lat))
    elif isinstance(data, dict) and isinstance(data.get("location"), dict):  # 天地图: {"lon", "lat", "keyWord"}
        loc = data["location"]
        places.append(_place(loc.get("keyWord") or query, loc.get("lon"), loc.get("lat")))
    elif isinstance(data, dict) and isinstance(data.get("results"), list):
        for item in data["results"]:
            if isinstance(item, dict):
                places.append(_place(item.get("address") or query, item.get("longitude"), item.get("latitude")))
    elif isinstance(data, list):  # Nominatim
        for item in data:
            if isinstance(item, dict):
                places.append(_place(item.get("display_name") or query, item.get("lon"), item.get("lat")))
    return [p for p in places if p is not None][:MAX_GEOCODER_RESULTS]


def geocode(query: str) -> list[dict]:
    """Places for ``query`` from ``MAP_GEOCODER_URL`` (``{query}`` replaced by the URL-encoded text).

    :raises GeocoderUnavailable: not configured, unreachable, too slow, or an answer we do not understand.
    """
    template = current_app.config.get("MAP_GEOCODER_URL") or ""
    if "{query}" not in template:
        raise GeocoderUnavailable("MAP_GEOCODER_URL is not set or has no {query}")
    text = query.replace('"', " ").replace("\\", " ")  # 天地图 puts the text inside a JSON string of the URL
    url = template.replace("{query}", urllib.parse.quote(text, safe=""))
    data = fetch_json(url, float(current_app.config.get("MAP_GEOCODER_TIMEOUT") or 5))
    return parse_geocoder_answer(data, query)


# ---------------------------------------------------------------------------------------------------------
# The screen
# ---------------------------------------------------------------------------------------------------------


class VenueView(BaseView):
    """培训场地维护: list + search, 新增 / 修改 form with the map, 删除 with confirmation; 搜索地址 (JSON)."""

    route_base = "/venues"
    default_view = "list"
    class_permission_name = "Venue"
    method_permission_name = {"list": "read", "geocode": "read", "add": "write", "edit": "write",
                              "delete": "write"}

    @expose("/")
    @has_access
    def list(self):
        actor = current_actor()
        name = normalize_text(request.args.get("name"))
        address = normalize_text(request.args.get("address"))
        found = venue_page(db.session, actor, name, address, request.args.get("page", 1))
        keep = {k: v for k, v in (("name", name), ("address", address)) if v}

        def page_url(n: int) -> str:
            return url_for("VenueView.list", **keep, page=n)

        return self.render_template(
            "venues/list.html", rows=found.items, total=found.total, page=found.page, pages=found.pages,
            page_size=found.page_size, page_url=page_url, query={"name": name or "", "address": address or ""},
            can_edit=actor.is_enterprise, show_enterprise=not actor.is_enterprise,
        )

    def _venue_or_404(self, pk: Any) -> Venue:
        try:
            return va.load_venue(db.session, current_actor(), pk)
        except NotFound:
            abort(404)

    def _form(self, venue: Optional[Venue], values: dict, errors: Optional[dict] = None,
              general: Optional[list] = None, status: int = 200):
        body = self.render_template(
            "venues/form.html", venue=venue, values=values, errors=errors or {}, general=general or [],
            fields=VENUE.fields_for(None), map=map_settings(),
            action_url=url_for("VenueView.edit", pk=venue.id) if venue else url_for("VenueView.add"),
        )
        return body, status

    def _save(self, venue: Optional[Venue]):
        """POST of the form: save through the action, or the form again with the errors under the fields."""
        data = posted(va.VENUE_FIELDS)
        error, saved = attempt(va.save_venue, current_actor(), data, venue.id if venue else None)
        if error is None:
            flash(str(_l("培训场地“%(name)s”已保存", name=saved.name)), "success")
            return redirect(url_for("VenueView.list"))
        abort_for(error)
        errors, general = error_map(error, va.VENUE_FIELDS)
        general.insert(0, str(_l("保存失败，请按提示修改后重新保存")))
        return self._form(venue, data, errors, general, status=422)

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        if not current_actor().is_enterprise:
            abort(403)
        if request.method == "POST":
            return self._save(None)
        return self._form(None, {name: "" for name in va.VENUE_FIELDS})

    @expose("/<int:pk>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: int):
        if not current_actor().is_enterprise:
            abort(403)
        venue = self._venue_or_404(pk)
        if request.method == "POST":
            return self._save(venue)
        return self._form(venue, row_values(venue, va.VENUE_FIELDS))

    @expose("/<int:pk>/delete", methods=["POST"])
    @has_access
    def delete(self, pk: int):
        venue = self._venue_or_404(pk)
        name = venue.name
        error, _ = attempt(va.delete_venue, current_actor(), venue.id)
        if error is None:
            flash(str(_l("已删除培训场地“%(name)s”", name=name)), "success")
        else:
            abort_for(error)
            flash_error(error)
        return redirect(request.referrer if _same_list(request.referrer) else url_for("VenueView.list"))

    @expose("/geocode")
    @has_access_api
    def geocode(self):
        """搜索地址: ``{"results": [{"address", "longitude", "latitude"}]}``; 503 when no geocoder is configured,
        502 when it cannot be reached in time, 422 without a search text."""
        query = (normalize_text(request.args.get("q")) or "")[:MAX_QUERY]
        if not query:
            return _json({"message": str(_l("请输入要搜索的地址")), "results": []}, 422)
        if not current_app.config.get("MAP_GEOCODER_URL"):
            return _json({"message": str(_l("未配置地址搜索服务，请直接填写地址和经纬度")), "results": []}, 503)
        try:
            results = geocode(query)
        except GeocoderUnavailable as exc:
            log.warning("geocoder unavailable: %s", exc)
            return _json({"message": str(_l("地址搜索服务暂时无法访问，请直接填写地址和经纬度")), "results": []}, 502)
        message = "" if results else str(_l("未找到该地址，请换个说法或直接填写经纬度"))
        return _json({"message": message, "results": results}, 200)


def _json(body: dict, status: int):
    response = jsonify(body)
    response.status_code = status
    return response


def _same_list(referrer: Optional[str]) -> bool:
    """Back to the list page the user came from (its search and page kept), never to another site."""
    if not referrer:
        return False
    parts = urllib.parse.urlsplit(referrer)
    return parts.netloc == request.host and parts.path.rstrip("/") == url_for("VenueView.list").rstrip("/")

