"""Key rotation: re-encrypt every encrypted field with the active key, in small batches, while the platform runs."""

from __future__ import annotations

from django.apps import apps
from django.db import transaction
from django.db.models import Q

from .crypto import SEPARATOR, keyring
from .fields import BlindIndexField, EncryptedTextField


def encrypted_models():
    """(model, [encrypted fields], [blind-index fields]) for every model holding encrypted data."""
    for model in apps.get_models():
        enc = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if enc:
            bidx = [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]
            yield model, enc, bidx


def stale_rows(model, fields, active_key_id: str):
    q = Q()
    for f in fields:
        q |= Q(**{f"{f.name}__isnull": False}) & ~Q(**{f"{f.name}__startswith": active_key_id + SEPARATOR})
    return model.objects.filter(q)


def rotate(batch_size: int = 500, reindex: bool = False, progress=None) -> dict[str, int]:
    """Re-encrypt rows whose ciphertext uses an older key (and, with ``reindex``, recompute blind indexes).
    Each batch is its own short transaction: readers keep working because every configured key decrypts."""
    ring = keyring()
    counts: dict[str, int] = {}
    for model, enc, bidx in encrypted_models():
        label = model._meta.label
        done = 0
        qs = model.objects.all() if reindex else stale_rows(model, enc, ring.active_key_id)
        last_pk = 0
        while True:
            chunk = list(qs.filter(pk__gt=last_pk).order_by("pk")[:batch_size])
            if not chunk:
                break
            with transaction.atomic():
                for obj in chunk:
                    # Loading decrypted with whichever key; saving encrypts with the active one.
                    obj.save(update_fields=[f.name for f in enc] + [f.name for f in bidx])
            done += len(chunk)
            last_pk = chunk[-1].pk
            if progress:
                progress(label, done)
        counts[label] = done
    return counts


def key_usage() -> dict[str, dict[str, int]]:
    """How many stored values each key id encrypts, per model (for the security admin's overview)."""
    ring = keyring()
    usage: dict[str, dict[str, int]] = {}
    for model, enc, _ in encrypted_models():
        per_key = {}
        for key_id in ring.data_keys:
            q = Q()
            for f in enc:
                q |= Q(**{f"{f.name}__startswith": key_id + SEPARATOR})
            per_key[key_id] = model.objects.filter(q).count()
        usage[model._meta.label] = per_key
    return usage
