"""FHIR R4 representations of instruments and assessments (Questionnaire, QuestionnaireResponse, Observation),
and the import of a QuestionnaireResponse. Exports are de-identified by default: the subject is the archive's
internal id, never a name or ID number."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from xinli.core.i18n import field_error
from xinli.core.ids import parse_int
from xinli.scales import definitions
from xinli.scales.engine import number

LOINC = "http://loinc.org"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
CALCULATED = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
TOTAL_LINK_ID = "total"


def canonical(d) -> str:
    return f"urn:xinli:questionnaire:{d.code}|{d.version}"


def _text(texts: dict) -> tuple[str, dict]:
    """FHIR text in Chinese with the English translation as an extension on the primitive."""
    return texts["zh-hans"], {"extension": [{"url": TRANSLATION, "extension": [
        {"url": "lang", "valueCode": "en"}, {"url": "content", "valueString": texts["en"]}]}]}


def _option_coding(d, item, option) -> dict:
    if option.loinc:
        return {"system": LOINC, "code": option.loinc, "display": option.label["en"]}
    return {"system": f"urn:xinli:scale:{d.code}:options", "code": str(option.value), "display": option.label["en"]}


def questionnaire(code: str) -> dict:
    d = definitions.get(code)
    name, name_ext = _text(d.raw["name"])
    items = []
    for item in d.items:
        text, text_ext = _text(item.text)
        entry = {"linkId": item.id, "text": text, "_text": text_ext, "type": "choice", "required": item.scored,
                 "answerOption": [{"valueCoding": _option_coding(d, item, o),
                                   "extension": [{"url": ITEM_WEIGHT, "valueDecimal": o.value}]} for o in item.options]}
        if item.loinc:
            entry["code"] = [{"system": LOINC, "code": item.loinc}]
        items.append(entry)
    total = {"linkId": TOTAL_LINK_ID, "text": "总分", "type": "decimal", "readOnly": True,
             "extension": [{"url": CALCULATED, "valueExpression": {"language": "text/fhirpath",
                            "expression": "%resource.item.where(linkId != 'total').answer.value.weight().sum()"}}]}
    if d.raw.get("loinc", {}).get("total"):
        total["code"] = [{"system": LOINC, "code": d.raw["loinc"]["total"]}]
    items.append(total)
    out = {"resourceType": "Questionnaire", "id": d.code, "url": f"urn:xinli:questionnaire:{d.code}", "version": d.version,
           "name": d.code.upper(), "title": name, "_title": name_ext, "status": "active", "copyright": d.raw["licence"]["en"],
           "item": items}
    if d.raw.get("loinc", {}).get("panel"):
        out["code"] = [{"system": LOINC, "code": d.raw["loinc"]["panel"]}]
    return out


def questionnaire_response(a) -> dict:
    d = definitions.get(a.scale)
    answers = a.answers
    items = []
    for item in d.items:
        value = answers.get(item.id)
        option = next((o for o in item.options if o.value == value), None)
        entry = {"linkId": item.id, "text": item.text["zh-hans"]}
        if option is not None:
            entry["answer"] = [{"valueCoding": _option_coding(d, item, option)}]
        items.append(entry)
    items.append({"linkId": TOTAL_LINK_ID, "answer": [{"valueDecimal": number(Decimal(a.total))}]})
    out = {"resourceType": "QuestionnaireResponse", "id": f"assessment-{a.pk}", "questionnaire": canonical(d),
           "status": "completed", "authored": a.taken_at.isoformat(), "item": items}
    if a.person_id:
        out["subject"] = {"reference": f"Patient/{a.person_id}"}
    return out


def observation(a) -> dict:
    d = definitions.get(a.scale)
    loinc_total = d.raw.get("loinc", {}).get("total")
    code = {"coding": [{"system": LOINC, "code": loinc_total}]} if loinc_total else {"text": f"{d.raw.get('short_name', d.code)} total score"}
    out = {"resourceType": "Observation", "id": f"assessment-{a.pk}-total", "status": "final",
           "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey"}]}],
           "code": code, "effectiveDateTime": a.taken_at.isoformat(),
           "valueQuantity": {"value": number(Decimal(a.total)), "unit": "{score}", "system": "http://unitsofmeasure.org", "code": "{score}"},
           "interpretation": [{"coding": [{"system": f"urn:xinli:scale:{d.code}:bands", "code": a.band}]}],
           "derivedFrom": [{"reference": f"QuestionnaireResponse/assessment-{a.pk}"}]}
    if a.person_id:
        out["subject"] = {"reference": f"Patient/{a.person_id}"}
    return out


def bundle(a) -> dict:
    return {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": f"urn:xinli:assessment:{a.pk}:qr", "resource": questionnaire_response(a)},
        {"fullUrl": f"urn:xinli:assessment:{a.pk}:obs", "resource": observation(a)},
    ]}


def parse_response(resource: dict) -> tuple[str, dict, Decimal | None]:
    """Read a QuestionnaireResponse: (scale code, answers by item id, stated total or None). Answers may be
    codings of the option set (LOINC answer codes or our option codes) or plain integers."""
    if not isinstance(resource, dict):
        raise field_error("resource", _("FHIR resource: expected a JSON object (a QuestionnaireResponse)."))
    if resource.get("resourceType") != "QuestionnaireResponse":
        raise field_error("resourceType", _("FHIR: expected a QuestionnaireResponse resource."))
    ref = resource.get("questionnaire", "")
    if not isinstance(ref, str):
        raise field_error("questionnaire", _("FHIR questionnaire: expected a canonical URL (text)."))
    code = ref.split("urn:xinli:questionnaire:")[-1].split("|")[0] if "urn:xinli:questionnaire:" in ref else ""
    if not code:
        for candidate in definitions.registry().values():
            panel = candidate.raw.get("loinc", {}).get("panel")
            if panel and panel in ref:
                code = candidate.code
    if code not in definitions.registry():
        raise field_error("questionnaire", _("FHIR questionnaire: unknown instrument {ref}; use a questionnaire this platform publishes."), ref=ref or "—")
    d = definitions.get(code)
    by_loinc = {o.loinc: o.value for i in d.items for o in i.options if o.loinc}
    loinc_items = {i.loinc: i.id for i in d.items if i.loinc}
    total_codes = {d.raw.get("loinc", {}).get("total"), TOTAL_LINK_ID}
    answers, stated = {}, None
    for entry in _list(resource.get("item"), "item"):
        if not isinstance(entry, dict):
            raise field_error("item", _("FHIR item: each item must be an object with linkId and answer."))
        link = entry.get("linkId", "")
        if not isinstance(link, str | int) or isinstance(link, bool):
            raise field_error("item", _("FHIR item: linkId must be text."))
        link = str(link)
        codings = _list(entry.get("code"), "item")
        if not all(isinstance(c, dict) for c in codings):
            raise field_error("item", _("FHIR item {link}: each code must be a Coding object."), link=link)
        codes = {c.get("code") for c in codings if isinstance(c.get("code"), str)}
        answer_list = _list(entry.get("answer"), "item")
        answer = answer_list[0] if answer_list else {}
        if not isinstance(answer, dict):
            raise field_error("item", _("FHIR item {link}: each answer must be an object such as {example}."), link=link,
                              example='{"valueInteger": 1}')
        if link in total_codes or codes & total_codes - {None}:
            quantity = answer.get("valueQuantity", {})
            if not isinstance(quantity, dict):
                raise field_error("total", _("FHIR total: not a number."))
            raw = answer.get("valueDecimal", answer.get("valueInteger", quantity.get("value")))
            if isinstance(raw, bool) or (raw is not None and not isinstance(raw, int | float | str)):
                raise field_error("total", _("FHIR total: not a number."))
            try:
                stated = Decimal(str(raw)) if raw is not None else None
            except InvalidOperation:
                raise field_error("total", _("FHIR total: not a number.")) from None
            if stated is not None and not stated.is_finite():
                raise field_error("total", _("FHIR total: not a number."))
            continue
        item_id = link if link in d.item_map else next((loinc_items[c] for c in codes if c in loinc_items), None)
        if item_id is None:
            raise field_error("item", _("FHIR item {link}: not an item of this questionnaire."), link=link)
        if "valueCoding" in answer:
            c = answer["valueCoding"]
            if not isinstance(c, dict) or not isinstance(c.get("code"), str):
                raise field_error("item", _("FHIR item {link}: valueCoding must be a Coding object with a code."), link=link)
            value = by_loinc.get(c["code"]) if c.get("system") == LOINC else parse_int(c["code"])
            if value is None:
                raise field_error("item", _("FHIR item {link}: answer code {answer} is not an option of this questionnaire."), link=link, answer=c.get("code"))
            answers[item_id] = value
        elif "valueInteger" in answer:
            value = answer["valueInteger"]
            if not isinstance(value, int) or isinstance(value, bool):
                raise field_error("item", _("FHIR item {link}: valueInteger must be a whole number."), link=link)
            answers[item_id] = value
    return code, answers, stated


def _list(value, field: str) -> list:
    """A FHIR repeating element: absent is empty; anything but a JSON array is a 400 naming ``field``."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise field_error(field, _("FHIR {element}: expected a JSON array."), element=field)
    return value


def check_stated_total(stated: Decimal | None, computed: Decimal) -> None:
    if stated is not None and Decimal(stated) != Decimal(computed):
        raise ValidationError({"total": [
            f"FHIR 中声明的总分 {number(Decimal(stated))} 与各题答案计算所得的 {number(Decimal(computed))} 不一致，未导入 / "
            f"the stated total {number(Decimal(stated))} disagrees with {number(Decimal(computed))} computed from the item answers; nothing imported"]})
