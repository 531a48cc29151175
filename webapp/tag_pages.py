"""The workspace's tags page (Zendesk's tag list, Chatwoot's labels settings), for leads and admins: every tag with
how many unsolved and how many tickets have it, filtered by a box, each linked to the inbox filtered by it; a tag
renamed (onto an existing tag: a merge, which the confirmation says) or deleted from every ticket, after a
confirmation page with the counts the change will make (desk.tags: one transaction, one audit event each).

Macros live in git (content/_macros), so the page does not edit them: the confirmation and the result list the
macro files that still add the old tag (from the macros the app already loads, webapp.state.macros) for someone to
edit there. Routes on the agent blueprint."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext, ngettext
from werkzeug.wrappers import Response

from desk.tags import TagChange
from desk.tickets import InputError
from kb.tag_rule import folded_tag, sought_tag
from webapp import state
from webapp.agent import MAX_QUERY, _page, acting, bp
from webapp.desk_errors import desk_error
from webapp.formatting import isolate_in_rtl
from webapp.roles import lead_required

MAX_LISTED = 500  # tags on one page: a desk with more finds the rest with the filter box


def macros_adding(tag: str) -> list[str]:
    """The macro files (relative to the content folder) whose `add_tags` adds `tag`, in every language."""
    return sorted(m.path for lang in state.settings().languages for m in state.macros(lang)
                  if any(folded_tag(t) == tag for t in m.add_tags))


@bp.get("/tags")
@lead_required
def tag_list():
    """Every tag with its counts, most used first; `q` keeps those whose name holds it (folded as tags are)."""
    q = (request.args.get("q") or "")[:MAX_QUERY]
    needle = sought_tag(q)
    counts = [c for c in state.desk().tags.counts() if needle in c.tag]
    return _page("agent/tags.html", q=q, counts=counts[:MAX_LISTED], total=len(counts), limit=MAX_LISTED)


def _confirmation(action: str, tag: str, to: str, error: str | None = None, status: int = 200) -> tuple[str, int]:
    change: TagChange | None = None
    desk = state.desk()
    if error is None and (action == "delete" or to.strip()):
        try:
            change = desk.tags.change(tag, to if action == "rename" else None)
        except InputError as refused:
            error, status = desk_error(refused), 400
    return _page("agent/tag_change.html", action=action, tag=tag, to=to, change=change, error=error,
                 macros=macros_adding(tag) if tag else []), status


@bp.get("/tags/rename")
@lead_required
def rename_tag():
    """Without `to`: the form for the new name; with it: the confirmation (a merge says so). Reads only."""
    return _confirmation("rename", request.args.get("tag", "")[:MAX_QUERY], request.args.get("to", "")[:MAX_QUERY])


@bp.get("/tags/delete")
@lead_required
def delete_tag():
    """The confirmation: how many tickets lose the tag. Reads only."""
    return _confirmation("delete", request.args.get("tag", "")[:MAX_QUERY], "")


@bp.post("/tags/rename")
@lead_required
def rename_tag_post() -> Response | tuple[str, int]:
    tag, to = request.form.get("tag", "")[:MAX_QUERY], request.form.get("to", "")[:MAX_QUERY]
    try:
        done = state.desk().tags.rename(tag, to, by=acting())
    except InputError as refused:
        return _confirmation("rename", tag, to, desk_error(refused), 400)
    assert done.new is not None
    if done.merge:
        flash(ngettext("“%(old)s” was merged into “%(new)s”: %(num)d ticket changed.",
                       "“%(old)s” was merged into “%(new)s”: %(num)d tickets changed.", done.tickets,
                       old=isolate_in_rtl(done.old), new=isolate_in_rtl(done.new)), "ok")
    else:
        flash(ngettext("“%(old)s” was renamed “%(new)s”: %(num)d ticket changed.",
                       "“%(old)s” was renamed “%(new)s”: %(num)d tickets changed.", done.tickets,
                       old=isolate_in_rtl(done.old), new=isolate_in_rtl(done.new)), "ok")
    _still_in_macros(done.old)
    return redirect(url_for(".tag_list"))


@bp.post("/tags/delete")
@lead_required
def delete_tag_post() -> Response | tuple[str, int]:
    tag = request.form.get("tag", "")[:MAX_QUERY]
    try:
        done = state.desk().tags.delete(tag, by=acting())
    except InputError as refused:
        return _confirmation("delete", tag, "", desk_error(refused), 400)
    flash(ngettext("“%(old)s” was deleted from %(num)d ticket.", "“%(old)s” was deleted from %(num)d tickets.",
                   done.tickets, old=isolate_in_rtl(done.old)), "ok")
    _still_in_macros(done.old)
    return redirect(url_for(".tag_list"))


def _still_in_macros(tag: str) -> None:
    """The macros that will add the old tag again, named after the change: they are edited in git."""
    if files := macros_adding(tag):
        flash(gettext("These macros still add “%(tag)s”; change them in the content's git: %(files)s",
                      tag=isolate_in_rtl(tag), files=gettext(", ").join(isolate_in_rtl(f) for f in files)), "error")
