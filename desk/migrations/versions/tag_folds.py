"""ticket tags refolded by the rule view names follow (kb.tag_rule.folded_tag, kb.name_fold: NFKC and case-folded,
where the old rule was lower() only; task tags31): "ＲＥＦＵＮＤ" is "refund", "ﬁle" is "file". A ticket holding two
tags that now fold alike keeps one (the one already in the new form, else the older row: ticket_tags is unique per
ticket and tag); saved views' tag filters are refolded too. The log says every change. A tag whose new form the desk
would refuse (longer than 60 characters once folded, or a character the fold turns into punctuation) is kept as it
is, and the log says so; a lead renames it on the tags page.

Revision ID: tag_folds
Revises: saved_view_keys
"""

from __future__ import annotations

import logging
from collections import Counter
from itertools import groupby

import sqlalchemy as sa
from alembic import op

from kb.tag_rule import folded_tag, is_tag

revision = "tag_folds"
down_revision = "saved_view_keys"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")  # beside alembic's own "Running upgrade ..." lines


def refolded(tag: str) -> str:
    """The tag's new form, or the tag itself when the desk would refuse the new form."""
    new = folded_tag(tag)
    if new != tag and not is_tag(new):
        log.warning("tag %r folds to %r, which is not a tag: kept as it is", tag, new)
        return tag
    return new


def upgrade() -> None:
    tags = sa.table("ticket_tags", sa.column("id", sa.Integer), sa.column("ticket_id", sa.Integer),
                    sa.column("tag", sa.String))
    views = sa.table("saved_views", sa.column("id", sa.Integer), sa.column("tag", sa.String))
    bind = op.get_bind()
    rows = bind.execute(sa.select(tags.c.id, tags.c.ticket_id, tags.c.tag)
                        .order_by(tags.c.ticket_id, tags.c.id)).all()
    forms: dict[str, str] = {}
    dropped: list[int] = []
    changed: list[dict[str, object]] = []
    renamed: Counter[tuple[str, str]] = Counter()
    for ticket_id, held in groupby(rows, key=lambda row: row.ticket_id):
        kept: dict[str, tuple[int, str]] = {}  # new form -> the row keeping it (id, old tag)
        for row in sorted(held, key=lambda row: (refolded_once(forms, row.tag) != row.tag, row.id)):
            new = forms[row.tag]
            if new in kept:  # deleted before any update: the one kept may take the form only then
                dropped.append(row.id)
                log.warning("ticket %d: tag %r folds like %r; one kept, as %r", ticket_id, row.tag, kept[new][1], new)
                continue
            kept[new] = (row.id, row.tag)
            if new != row.tag:
                changed.append({"row_id": row.id, "new_tag": new})
                renamed[(row.tag, new)] += 1
    for (old, new), count in sorted(renamed.items()):
        log.info("tag %r is now %r on %d tickets", old, new, count)
    for start in range(0, len(dropped), 500):  # SQLite's bound parameters are limited (999 before 3.32)
        bind.execute(tags.delete().where(tags.c.id.in_(dropped[start:start + 500])))
    if changed:
        bind.execute(tags.update().where(tags.c.id == sa.bindparam("row_id")).values(tag=sa.bindparam("new_tag")),
                     changed)
    view_rows = bind.execute(sa.select(views.c.id, views.c.tag).where(views.c.tag.is_not(None))).all()
    refiled = [{"row_id": row.id, "new_tag": refolded_once(forms, row.tag)} for row in view_rows
               if refolded_once(forms, row.tag) != row.tag]
    for change in refiled:
        log.info("saved view %d: its tag filter is now %r", change["row_id"], change["new_tag"])
    if refiled:
        bind.execute(views.update().where(views.c.id == sa.bindparam("row_id")).values(tag=sa.bindparam("new_tag")),
                     refiled)


def refolded_once(forms: dict[str, str], tag: str) -> str:
    """`refolded`, each distinct tag folded (and logged) once."""
    if tag not in forms:
        forms[tag] = refolded(tag)
    return forms[tag]


def downgrade() -> None:
    pass  # the refolded tags are tags by the old rule too (lower case, letters, digits, - and _); merged ones stay one
