"""API tokens end with the credential and the access they were issued for.

A user's API tokens are deleted, in the transaction that makes the change, when:

- their password changes (``set_password`` + save, the admin's password form, ``changepassword``,
  ``set_unusable_password``), but not when Django re-hashes the same password with a newer
  hasher on login;
- they are deactivated (``is_active`` becomes False);
- they hold no role any more after a group is removed from them, from either side of the relation
  (``user.groups.remove/clear/set``, ``group.user_set.remove/clear/set``, the admin) or when a
  role group is deleted. ``groups.set()`` removes before it adds, so swapping one role for another
  in a single ``set()`` passes through "no role" and revokes too.

Superusers count as holding a role (``dispatch.roles``). Each revocation that deleted a token is
recorded as an ``access_changed`` audit event. The receivers are connected in
``DispatchConfig.ready``.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import get_hasher, identify_hasher, is_password_usable
from django.contrib.auth.models import Group
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from rest_framework.authtoken.models import Token

from compliance.audit import audit_record
from compliance.models import AuditEventType
from dispatch.roles import Role

logger = logging.getLogger(__name__)

ROLE_NAMES = frozenset(Role.values)


class RevokedBecause(StrEnum):
    CREDENTIAL_CHANGED = "password changed"
    DEACTIVATED = "deactivated"
    LAST_ROLE_REMOVED = "last role removed"


def user_holds_role(*, user_id: int) -> bool:
    """Whether the user (read from the database) is a superuser or in at least one role group."""
    user_model = get_user_model()
    return (
        user_model.objects.filter(pk=user_id)
        .filter(Q(is_superuser=True) | Q(groups__name__in=ROLE_NAMES))
        .exists()
    )


def user_api_tokens_revoke(*, user: Any, reason: RevokedBecause) -> int:
    """Delete the user's API tokens; audited when there was one. Returns how many were deleted."""
    deleted, _ = Token.objects.filter(user_id=user.pk).delete()
    if deleted:
        audit_record(
            event_type=AuditEventType.ACCESS_CHANGED,
            obj=user,
            old={"api_tokens": deleted},
            new={"api_tokens": 0, "revoked_because": str(reason)},
        )
        logger.info("Revoked %d API token(s) of user %s: %s.", deleted, user.pk, reason)
    return deleted


def _is_hash_upgrade(*, instance: Any, old_hash: str, update_fields: Any) -> bool:
    """Django's own re-hash of a verified password (``check_password``'s setter): the same
    password under the preferred hasher, saved with ``update_fields=["password"]`` only."""
    if instance._password is not None or update_fields is None:
        return False
    if set(update_fields) != {"password"}:
        return False
    if not (is_password_usable(old_hash) and is_password_usable(instance.password)):
        return False
    preferred = get_hasher()
    try:
        old_hasher = identify_hasher(old_hash)
        new_hasher = identify_hasher(instance.password)
    except ValueError:
        return False
    due = old_hasher.algorithm != preferred.algorithm or preferred.must_update(old_hash)
    return due and new_hasher.algorithm == preferred.algorithm


def _user_pre_save(
    sender: Any, instance: Any, raw: bool, update_fields: Any, **kwargs: Any
) -> None:
    instance._api_tokens_revoke_because = None
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return
    stored = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if stored is None:
        return
    if stored["is_active"] and not instance.is_active:
        instance._api_tokens_revoke_because = RevokedBecause.DEACTIVATED
    elif stored["password"] != instance.password and not _is_hash_upgrade(
        instance=instance, old_hash=stored["password"], update_fields=update_fields
    ):
        instance._api_tokens_revoke_because = RevokedBecause.CREDENTIAL_CHANGED


def _user_post_save(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    # After the row is written, so a save that fails revokes nothing.
    reason = getattr(instance, "_api_tokens_revoke_because", None)
    if reason:
        instance._api_tokens_revoke_because = None
        user_api_tokens_revoke(user=instance, reason=reason)


def _revoke_unless_role(user_ids: Any) -> None:
    user_model = get_user_model()
    for user_id in sorted(user_ids):
        if not user_holds_role(user_id=user_id):
            user = user_model.objects.filter(pk=user_id).first()
            if user is not None:
                user_api_tokens_revoke(user=user, reason=RevokedBecause.LAST_ROLE_REMOVED)


def _groups_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    if not reverse:
        # ``instance`` is a user; ``pk_set`` holds group ids (None on clear).
        if action in ("post_remove", "post_clear"):
            _revoke_unless_role([instance.pk])
        return
    # ``instance`` is a group; ``pk_set`` holds user ids (None on clear: read them before).
    if action == "pre_clear":
        instance._api_tokens_members = list(instance.user_set.values_list("pk", flat=True))
    elif action == "post_remove":
        _revoke_unless_role(pk_set or ())
    elif action == "post_clear":
        _revoke_unless_role(getattr(instance, "_api_tokens_members", ()))
        instance._api_tokens_members = []


def _group_pre_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    instance._api_tokens_members = (
        list(instance.user_set.values_list("pk", flat=True)) if instance.name in ROLE_NAMES else []
    )


def _group_post_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    _revoke_unless_role(getattr(instance, "_api_tokens_members", ()))


def connect_token_revocation() -> None:
    user_model = get_user_model()
    pre_save.connect(_user_pre_save, sender=user_model, dispatch_uid="dispatch.tokens.pre_save")
    post_save.connect(_user_post_save, sender=user_model, dispatch_uid="dispatch.tokens.post_save")
    m2m_changed.connect(
        _groups_changed, sender=user_model.groups.through, dispatch_uid="dispatch.tokens.groups"
    )
    pre_delete.connect(_group_pre_delete, sender=Group, dispatch_uid="dispatch.tokens.group_pre")
    post_delete.connect(_group_post_delete, sender=Group, dispatch_uid="dispatch.tokens.group_post")
