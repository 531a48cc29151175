"""Translated names of the workspace's fixed values: views, statuses, priorities, sorts, roles, drafters and
channels.

The values themselves stay English in URLs, forms and the database; only what the agent reads is
translated, through gettext (the Arabic is in webapp/translations).
"""

from __future__ import annotations

from flask_babel import gettext

from webapp.forms import vote_reasons


class ViewLabels:
    """Translated names of views, statuses, priorities, sorts, roles, drafters and channels (values stay English in URLs
    and data)."""

    def view(self, key: str) -> str:
        return {
            "unsolved": gettext("Unsolved"), "mine": gettext("Mine"),
            "my_teams": gettext("My teams' tickets"), "unassigned": gettext("Unassigned"),
            "due_today": gettext("Due today"), "arabic_unassigned": gettext("Arabic, unassigned"),
            "mentions": gettext("Mentions"), "snoozed": gettext("Snoozed"), "all": gettext("All tickets"),
        }.get(key, key)

    def status(self, key: str) -> str:
        return {
            "new": gettext("New"), "open": gettext("Open"), "pending": gettext("Pending"),
            "on_hold": gettext("On hold"), "solved": gettext("Solved"), "closed": gettext("Closed"),
        }.get(key, key)

    def priority(self, key: str) -> str:
        return {"low": gettext("Low"), "normal": gettext("Normal"), "high": gettext("High"),
                "urgent": gettext("Urgent")}.get(key, key)

    def sort(self, key: str) -> str:
        return {"updated": gettext("Last updated"), "created": gettext("Newest"), "due": gettext("Due soonest"),
                "priority": gettext("Priority")}.get(key, key)

    def snooze_ended(self, reason: str | None) -> str:
        """A ticket's "snooze ended" history row, with why."""
        return {"time": gettext("snooze ended: its time came"),
                "customer": gettext("snooze ended: the customer wrote"),
                "solved": gettext("snooze ended: solved")}.get(reason or "", gettext("snooze ended"))

    def role(self, key: str) -> str:
        return {"agent": gettext("Agent"), "lead": gettext("Lead"), "admin": gettext("Admin"),
                "light": gettext("Light agent")}.get(key, key)

    def scope(self, key: str) -> str:
        """What an API token's scope (desk.token_scopes.SCOPES) lets it do, as the admin page describes it."""
        return {
            "tickets:read": gettext("Read and list tickets"),
            "tickets:write": gettext("Create tickets, add customers' messages, change tickets"),
            "customers:read": gettext("Read and list customers, their notes included"),
            "customers:write": gettext("Merge customers"),
            "customers:erase": gettext("Erase a customer's personal data (cannot be undone)"),
            "suggest": gettext("Suggested articles and reply drafts for a ticket"),
            "metrics:read": gettext("The dashboard's figures"),
            "search": gettext("Search and read articles as an agent (internal ones included)"),
            "sync:read": gettext("The content sync's status"),
            "organizations:read": gettext("Read and list organizations, their members and notes included"),
            "organizations:write": gettext("Create and change organizations"),
            "tickets:deleted": gettext("List deleted tickets and spam (the leads' Deleted tickets page)"),
            "agents:read": gettext("Read and list agents, their teams, skills and email notifications"),
            "agents:write": gettext("Invite agents, change their role, teams, state and email notifications"),
        }.get(key, key)

    def audit_action(self, key: str) -> str:
        """An audit log action (desk.models.AUDIT_ACTIONS) as the audit page names it."""
        return {
            "agent_created": gettext("Agent created"), "role_changed": gettext("Role changed"),
            "deactivated": gettext("Deactivated"), "reactivated": gettext("Reactivated"),
            "password_reset": gettext("Password reset"), "password_changed": gettext("Password changed"),
            "token_created": gettext("API token created"), "token_revoked": gettext("API token revoked"),
            "team_member_added": gettext("Added to team"), "team_member_removed": gettext("Removed from team"),
            "sign_in_failed": gettext("Sign-in failed"), "sign_in_succeeded": gettext("Signed in after failures"),
            "customer_edited": gettext("Customer edited"),
            "customer_merged": gettext("Customers merged"),
            "tag_renamed": gettext("Tag renamed"), "tag_deleted": gettext("Tag deleted"),
            "customer_erased": gettext("Customer erased"),
            "two_factor_enabled": gettext("Two-factor sign-in turned on"),
            "two_factor_disabled": gettext("Two-factor sign-in turned off"),
            "recovery_codes_regenerated": gettext("Recovery codes regenerated"),
            "two_factor_reset": gettext("Two-factor sign-in reset"),
            "ticket_updated": gettext("Ticket changed through the API"),
            "availability_changed": gettext("Availability changed"),
            "two_factor_locked": gettext("Two-factor sign-in locked (too many wrong codes)"),
            "passkey_registered": gettext("Passkey added"), "passkey_renamed": gettext("Passkey renamed"),
            "passkey_removed": gettext("Passkey removed"), "passkey_used": gettext("Signed in with a passkey"),
            "passkey_failed": gettext("Passkey refused (a failed check, or a cloned key)"),
            "ticket_ccs_changed": gettext("Ticket's CCs changed"),
            "webhook_created": gettext("Webhook created"), "webhook_updated": gettext("Webhook changed"),
            "webhook_deleted": gettext("Webhook deleted"), "webhook_rotated": gettext("Webhook secret rotated"),
            "webhook_disabled": gettext("Webhook turned off after failures"),
            "webhook_replayed": gettext("Webhook event sent again"),
            "ticket_fields_changed": gettext("Ticket fields changed"),
            "customer_fields_changed": gettext("Customer fields changed"),
            "organization_created": gettext("Organization created"),
            "organization_edited": gettext("Organization edited"),
            "organization_deleted": gettext("Organization deleted"),
            "organization_member_changed": gettext("Customer's organization changed"),
            "side_conversation_started": gettext("Side conversation started"),
            "side_conversation_replied": gettext("Side conversation replied to"),
            "side_conversation_closed": gettext("Side conversation closed"),
            "side_conversation_reopened": gettext("Side conversation reopened"),
            "side_conversation_participants": gettext("Side conversation participants changed"),
            "time_entry_edited": gettext("Time entry edited"), "time_entry_deleted": gettext("Time entry deleted"),
            "ticket_deleted": gettext("Ticket deleted"), "ticket_restored": gettext("Ticket restored"),
            "ticket_purged": gettext("Ticket deleted permanently"), "sender_blocked": gettext("Sender blocked"),
            "sender_unblocked": gettext("Sender unblocked"),
            "languages_changed": gettext("Languages changed"),
            "signature_changed": gettext("Signature changed"),
            "skill_created": gettext("Skill added"), "skill_renamed": gettext("Skill renamed"),
            "skill_deleted": gettext("Skill deleted"), "skills_changed": gettext("Skills changed"),
            "agent_invited": gettext("Agent invited"), "invitation_resent": gettext("Invitation sent again"),
            "invitation_revoked": gettext("Invitation revoked"), "invitation_accepted": gettext("Invitation accepted"),
            "password_reset_requested": gettext("Password reset link requested"),
            "note_by_mail": gettext("Internal note added by email"),
            "notifications_changed": gettext("Email notifications changed"),
            "agent_edited": gettext("Agent's name or email changed"),
        }.get(key, key)

    def webhook_event(self, key: str) -> str:
        """An outbound webhook's event type (desk.models.WEBHOOK_EVENTS) as the webhooks page names it."""
        return {
            "ticket.created": gettext("A ticket is created"), "ticket.updated": gettext("A ticket is changed"),
            "message.created": gettext("A customer or an agent writes (public messages)"),
            "note.created": gettext("An agent adds an internal note"),
            "csat.rated": gettext("A customer rates a solved ticket"), "webhook.test": gettext("Test event"),
            "ticket.merged": gettext("A ticket is merged into another"),
            "side_conversation.created": gettext("An agent starts a side conversation"),
            "side_conversation.replied": gettext("A side conversation gets a message (a third party's or an agent's)"),
            "time_entry.created": gettext("Time is recorded on a ticket"),
            "time_entry.updated": gettext("A time entry is edited"),
            "time_entry.deleted": gettext("A time entry is deleted"),
            "ticket.deleted": gettext("A ticket is deleted or marked as spam"),
            "ticket.restored": gettext("A deleted ticket is restored"),
        }.get(key, key)

    def deletion(self, key: str) -> str:
        """A ticket's deletion history row (desk.models.DELETION_CHANGES), or a deleted ticket's reason."""
        return {"deleted": gettext("deleted"), "spam": gettext("marked as spam"), "restored": gettext("restored"),
                "not_spam": gettext("restored: not spam")}.get(key, key)

    def webhook_state(self, key: str) -> str:
        return {"pending": gettext("Waiting to be sent"), "delivered": gettext("Delivered"),
                "failed": gettext("Failed")}.get(key, key)

    def time_kind(self, key: str) -> str:
        """What a time entry was recorded with (desk.models.TIME_ENTRY_KINDS)."""
        return {"reply": gettext("with a reply"), "note": gettext("with a note"),
                "update": gettext("with an update"), "manual": gettext("added by hand")}.get(key, key)

    def audit_actor(self, key: str) -> str:
        return {"cli": gettext("Command line"), "system": gettext("System"), "api": gettext("API token")}.get(key, key)

    def drafter(self, key: str) -> str:
        """The grounded drafter's name read as what it does; a model's name (llama-cpp, ...) is shown as it is."""
        return {"grounded": gettext("drafted from the articles"),
                "model": gettext("written by the model")}.get(key, key)

    def channel(self, key: str) -> str:
        return {"web": gettext("Web"), "email": gettext("Email"), "chat": gettext("Chat"), "api": gettext("API"),
                "phone": gettext("Phone")}.get(key, key)


class ReportLabels:
    """Translated titles and column names of the content reports (`kb report` and the CSV keep the English)."""

    def title(self, name: str, default: str) -> str:
        return {
            "gaps": gettext("Content gaps: searches and tickets nothing answered"),
            "rejected": gettext("Tickets where agents rejected every suggestion"),
            "unhelpful": gettext("Articles voted not helpful"),
            "stale": gettext("Articles not updated recently"),
            "translations": gettext("Translations that need work"),
            "deflection": gettext("Contact-form deflection"),
            "notices": gettext("Notices published to customers"),
            "abstention": gettext("Search abstention by language, and what the log says of the questions"),
            "false-abstentions": gettext("Searches that found nothing though an agent answered from the help center"),
            "floors": gettext("Abstention floors learnt from the search log, and whether they may replace the floors "
                              "in use"),
        }.get(name, default)

    def column(self, name: str) -> str:
        return {
            "abstained": gettext("Abstained"),
            "abstained_share": gettext("Share abstained"),
            "active": gettext("Active"),
            "answerable": gettext("Answerable questions"),
            "false_abstentions": gettext("False abstentions"),
            "first_result": gettext("First result without abstention"),
            "first_result_matches": gettext("Was that article"),
            "logged": gettext("With signals logged"),
            "not_answered": gettext("Questions not answered"),
            "queries": gettext("Questions"),
            "searched_at": gettext("Searched"),
            "age_days": gettext("Age (days)"),
            "article_id": gettext("Article"),
            "article_key": gettext("Article"),
            "changed_sections": gettext("Changed sections"),
            "deflected": gettext("Deflected"),
            "ends_at": gettext("Ends"),
            "id": gettext("Id"),
            "decision": gettext("Decision"),
            "in_use_caught": gettext("Not answered: caught by the floors in use"),
            "in_use_flagged": gettext("Answerable: flagged by the floors in use"),
            "judge_only": gettext("Judge-only questions"),
            "other_floors": gettext("Searches under other floors (left out)"),
            "learnt_caught": gettext("Not answered: caught by the learnt floors"),
            "learnt_flagged": gettext("Answerable: flagged by the learnt floors"),
            "reason": gettext("Reason"),
            "lang": gettext("Language"),
            "languages": gettext("Languages"),
            "last_rejected": gettext("Last rejected"),
            "last_seen": gettext("Last seen"),
            "latest_comments": gettext("Latest comments"),
            "not_helpful": gettext("Not helpful"),
            "path": gettext("File"),
            "query": gettext("Query"),
            "rate": gettext("Rate"),
            "reasons": gettext("Reasons"),
            "rejections": gettext("Rejections"),
            "searches": gettext("Searches"),
            "share": gettext("Share"),
            "source_path": gettext("Source file"),
            "starts_at": gettext("Starts"),
            "status": gettext("Status"),
            "subject": gettext("Subject"),
            "terms": gettext("Terms"),
            "text_ar": gettext("Arabic text"),
            "text_en": gettext("English text"),
            "ticket_id": gettext("Ticket"),
            "ticketed": gettext("Sent a ticket"),
            "card_not_helpful": gettext("Answer card: not helpful"),
            "tickets": gettext("Tickets"),
            "title": gettext("Title"),
            "updated": gettext("Updated"),
            "visits": gettext("Visits"),
            "votes": gettext("Votes"),
        }.get(name, name.replace("_", " "))

    def vote_reasons(self, text: str) -> str:
        """The unhelpful report's "reason: count" cell in the reader's language (the CSV keeps the keys)."""
        parts = (part.rpartition(": ") for part in text.split("; ") if part)
        return reason_counts({key: count for key, _, count in parts})

    def matches(self, value: str) -> str:
        """The false-abstentions report's "was that article" cell ("True", "False", empty when the search carried no
        shadow log); the CSV keeps them as stored."""
        return {"True": gettext("Yes"), "False": gettext("No"), "": gettext("Not logged")}.get(value, value)

    def floor_decision(self, value: str) -> str:
        """The floors report's decision ("replace", "keep"); the CSV keeps them as stored."""
        return {"replace": gettext("Replace the floors in use"),
                "keep": gettext("Keep the floors in use")}.get(value, value)

    def floor_reason(self, value: str) -> str:
        """The floors report's reason (desk.floor_decision.Reason) as a sentence; the CSV keeps the short form."""
        from copilot.learnt_floors import GUARD_MARGIN
        from desk.floor_decision import DEFAULT_MIN_LABELS

        margin = f"{GUARD_MARGIN:.0%}"
        return {
            "passes the guard": gettext("The learnt floors catch at least %(margin)s more of the questions not "
                                        "answered and flag no more answerable ones.", margin=margin),
            "too few labels": gettext("Too few labelled questions to learn floors from: %(num)d answerable and "
                                      "%(num)d not answered are needed.", num=DEFAULT_MIN_LABELS),
            "nothing to compare": gettext("No questions not answered, or no answerable ones, to compare the floors "
                                          "on."),
            "catches too little more": gettext("The learnt floors would not catch at least %(margin)s more of the "
                                               "questions not answered.", margin=margin),
            "flags more answerable": gettext("The learnt floors would flag more answerable questions than the floors "
                                             "in use."),
            "abstention off": gettext("The search settings (_search.yml) turn abstention off for every language."),
        }.get(value, value)

    def translation_status(self, status: str) -> str:
        """The translations report's Status values (kb.translations.Status); the CSV keeps them as stored."""
        return {"missing": gettext("Missing"), "stale": gettext("Out of date"),
                "untracked": gettext("Not tracked")}.get(status, status)


def reason_counts(counts: dict[str, int] | dict[str, str]) -> str:
    """What went wrong after "no", counted ("It is out of date: 2; ..."), in the reader's language."""
    labels = dict(vote_reasons())
    return "; ".join(f"{labels.get(key, key)}: {count}" for key, count in counts.items())
