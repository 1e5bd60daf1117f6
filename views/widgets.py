"""Small form helpers shared by the screens: select fields over the code sets of models/enums.py."""
from __future__ import annotations

from flask_appbuilder.fieldwidgets import Select2Widget
from flask_babel import lazy_gettext
from wtforms import SelectField
from wtforms.validators import DataRequired, Optional


def code_select(label, codeset, required: bool = True, description=None) -> SelectField:
    """A Select2 dropdown whose choices (code, Chinese label) come from a CodeSet, evaluated per request."""

    class _CodeSelect(SelectField):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.choices = ([] if required else [("", "—")]) + codeset.choices()

    return _CodeSelect(
        label,
        choices=[],
        # issue 12: a select left empty says 请选择<label> (not WTForms' generic 必填 text)
        validators=[DataRequired(message=lazy_gettext("请选择%(label)s", label=label))] if required else [Optional()],
        widget=Select2Widget(),
        description=description or "",
        coerce=lambda v: v or None,
    )


#: The text of a select's empty choice (FAB leaves it empty, and WTForms 3.3 then shows its value ``__None``).
BLANK_TEXT = lazy_gettext("请选择")


def blank_choice(form_cls, *names: str, required: bool = False) -> None:
    """The empty choice of FAB's related selects ``names`` in ``form_cls`` reads 请选择 (issue 12: ``__None``).

    ``required``: the select gets an empty choice too and starts on it (FAB preselects the first row of a required
    select, e.g. 广州 for 地市); the DataRequired validator FAB gives a required column still refuses it empty.
    """
    for name in names:
        unbound = getattr(form_cls, name, None)
        if unbound is None:
            continue
        unbound.kwargs["blank_text"] = BLANK_TEXT
        if required:
            unbound.kwargs["allow_blank"] = True
