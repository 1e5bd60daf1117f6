"""Field specs: the one description of each entity's input fields (DESIGN §7), from which everything else derives.

A ``FieldSpec`` says what a field is — label, value type, required, limits, code set or dropdown source, help text,
import column details — and ``EntitySpec`` lists an entity's fields in screen order. Derived from it:

- the cleaning of a dict of raw values (``EntitySpec.clean_fields``): forms, the REST API and imports all send the
  same dict and get the same Chinese errors;
- the form fields each screen posts (``form_fields``) and the labels / hints the form macros render;
- the API's writable fields and labels (``api_fields`` / ``labels``);
- the import template and reader columns (``import_columns``, ``imports.specs.Column``);
- the export columns (``export_columns``).

Where a field differs by apprenticeship type (the trainee's 劳动合同 vs 学徒培训协议 dates, R10), the difference is
data: ``variants`` maps a type code to the attributes that change, and ``for_type`` applies it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Optional

from flask_babel import force_locale

from core.cleaning import Cleaner
from imports.specs import CHOICE, DATE, ID, INT, PHONE, TEXT, Column

#: Value types of a field (how it is cleaned). REF is the integer id of another row; CODE a value of ``codes``.
TEXT_T, INT_T, DATE_T, ID_T, PHONE_T, CODE_T, REF_T, FILE_T, BOOL_T = (
    "text", "int", "date", "id_number", "phone", "code", "ref", "file", "bool")

_IMPORT_TYPES = {TEXT_T: TEXT, INT_T: INT, DATE_T: DATE, ID_T: ID, PHONE_T: PHONE, CODE_T: CHOICE, REF_T: CHOICE}


@dataclass(frozen=True)
class FieldSpec:
    """One input field of an entity."""

    name: str  # the data key: model attribute, form input name, API field, cleaner key
    label: Any  # lazy Chinese label (the import header is its Chinese text)
    type: str = TEXT_T
    required: bool = False
    max_len: Optional[int] = None
    minimum: Optional[int] = None
    maximum: Optional[int] = None
    codes: Any = None  # a models.enums CodeSet for CODE fields
    source: Optional[str] = None  # dropdown source (imports.specs.build_choices / the form's options)
    help: Any = ""  # the import template's 填写说明 line (file format: Chinese text)
    hint: Any = None  # the form's help line under the field (lazy, translated)
    placeholder: Any = None  # the form input's placeholder
    example: str = ""
    width: int = 16
    aliases: tuple[str, ...] = ()
    required_note: str = ""  # for conditionally required columns (shown instead of 是/否)
    derived: bool = False  # computed from other fields (e.g. gender from the ID number): not a form input
    in_import: bool = True
    in_export: bool = True
    export_header: str = ""  # the export's header when rows of several types share a column (else ``header``)
    variants: tuple[tuple[str, dict], ...] = ()  # (apprenticeship type, overrides)

    def for_type(self, apprenticeship_type: Optional[str]) -> "FieldSpec":
        """This field as it is for ``apprenticeship_type`` (label, required, help may differ, R10)."""
        for code, overrides in self.variants:
            if code == apprenticeship_type:
                return replace(self, **overrides)
        return self

    @property
    def header(self) -> str:
        """The Chinese text of the label: import/export headers are the file format, never translated."""
        with force_locale("zh"):
            return str(self.label)

    @property
    def export_title(self) -> str:
        return self.export_header or self.header

    def import_column(self) -> Column:
        with force_locale("zh"):
            help_text = str(self.help) if self.help else ""
        return Column(self.name, self.header, CHOICE if self.source else _IMPORT_TYPES[self.type], self.required,
                      self.source, help_text, self.example, self.width, self.aliases, self.required_note)


@dataclass(frozen=True)
class EntitySpec:
    """The fields of one entity, in screen order."""

    name: str
    label: Any
    fields: tuple[FieldSpec, ...]
    #: Apprenticeship types a field exists for, when not all (e.g. 延长培训期限原因 only for 企业新型学徒制).
    only_for: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: Fields per apprenticeship type, built once (imports clean thousands of rows with them).
    _typed: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def _fields_of_type(self, apprenticeship_type: Optional[str]) -> tuple[FieldSpec, ...]:
        if apprenticeship_type not in self._typed:
            self._typed[apprenticeship_type] = tuple(f.for_type(apprenticeship_type) for f in self.fields)
        return self._typed[apprenticeship_type]

    def fields_for(self, apprenticeship_type: Optional[str] = None) -> list[FieldSpec]:
        """The fields that exist for ``apprenticeship_type`` (all of them for None), as they are for it."""
        limits = dict(self.only_for)
        return [f for f in self._fields_of_type(apprenticeship_type)
                if apprenticeship_type is None or f.name not in limits or apprenticeship_type in limits[f.name]]

    def field(self, name: str, apprenticeship_type: Optional[str] = None) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f.for_type(apprenticeship_type)
        raise KeyError(name)

    # -- derivations -------------------------------------------------------------------------------------
    def form_fields(self) -> tuple[str, ...]:
        """The input names a form of this entity posts (every editable, non-derived field)."""
        return tuple(f.name for f in self.fields if not f.derived)

    def api_fields(self) -> tuple[str, ...]:
        """The fields a POST/PUT of this entity accepts (the same as the form's)."""
        return self.form_fields()

    def labels(self) -> dict[str, Any]:
        return {f.name: f.label for f in self.fields}

    def import_columns(self, apprenticeship_type: Optional[str]) -> list[Column]:
        return [f.import_column() for f in self.fields_for(apprenticeship_type) if f.in_import]

    def export_columns(self, apprenticeship_type: Optional[str] = None) -> list[FieldSpec]:
        return [f for f in self.fields_for(apprenticeship_type) if f.in_export and f.type != FILE_T]

    # -- cleaning ----------------------------------------------------------------------------------------
    def clean_fields(self, clean: Cleaner, apprenticeship_type: Optional[str] = None,
                     names: Optional[Iterable[str]] = None) -> None:
        """Clean every plain field into ``clean.out`` by its type, required flag and limits.

        REF and FILE fields and derived fields are left to the entity's own rules (they need the database).
        """
        wanted = set(names) if names is not None else None
        for f in self._fields_of_type(apprenticeship_type):
            if f.derived or (wanted is not None and f.name not in wanted):
                continue
            clean_field(clean, f)


def clean_field(clean: Cleaner, f: FieldSpec) -> Any:
    """Clean one field of ``clean.data`` by its spec (the error messages name ``f.label``)."""
    if f.type == TEXT_T:  # a field with a dropdown source (职业（工种）) is picked: 请选择 when missing (issue 12)
        return clean.text(f.name, f.label, required=f.required, max_len=f.max_len or 128, select=bool(f.source))
    if f.type == INT_T:
        return clean.integer(f.name, f.label, required=f.required, minimum=f.minimum, maximum=f.maximum,
                             select=bool(f.source))
    if f.type == DATE_T:
        return clean.day(f.name, f.label, required=f.required)
    if f.type == ID_T:
        info = clean.id_number(f.name)
        return info
    if f.type == PHONE_T:
        return clean.phone(f.name, f.label, required=f.required)
    if f.type == CODE_T:
        return clean.choice(f.name, f.label, f.codes.codes(), required=f.required)
    if f.type == REF_T:
        return clean.integer(f.name, f.label, required=f.required, select=True)
    return None
