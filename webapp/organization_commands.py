"""`kb organizations`: the organizations (desk.organizations) from a shell, as the workspace's pages manage them,
through the same desk functions, audited with the actor "cli": list them with their member counts, add, edit and
remove one, and set a customer's organization by hand. A refusal names the field and exits with status 1, nothing
written. A public mail domain (gmail.com) is refused unless --broad."""

from __future__ import annotations

import click

from kb.settings import Settings
from webapp.cli_options import location_options, open_desk


@click.group("organizations", invoke_without_command=True)
@click.pass_context
def organizations_group(context: click.Context) -> None:
    """The companies customers belong to; with no command, list them."""
    if context.invoked_subcommand is None:
        context.invoke(list_command)


@organizations_group.command("list")
@location_options
def list_command(settings: Settings) -> None:
    """Each organization by name: id, name, domains, tags, members and open tickets."""
    with open_desk(settings) as desk:
        offset, shown = 0, 0
        while True:
            page = desk.organizations.page("", limit=1000, offset=offset)
            for row in page.rows:
                click.echo(f"{row.id}\t{row.name}\t{','.join(row.domains) or '-'}\t{','.join(row.tags) or '-'}\t"
                           f"{row.members} members, {row.open} open")
            shown += len(page.rows)
            offset += 1000
            if not page.rows or shown >= page.total:
                break
        if not shown:
            click.echo("no organizations")


def _domains(values: tuple[str, ...]) -> list[str]:
    return [value for value in values if value.strip()]  # `--domain ''` alone: no domains


@organizations_group.command("add")
@location_options
@click.argument("name")
@click.option("--domain", "domains", multiple=True, help="an email domain, such as acme.sa; repeat for each")
@click.option("--tag", "tags", multiple=True, help="added to every new ticket of its members; repeat for each")
@click.option("--notes", default=None, help="the agents' internal notes about it")
@click.option("--broad", is_flag=True, help="add a public mail domain (gmail.com) anyway: all its customers join")
def add_command(settings: Settings, name: str, domains: tuple[str, ...], tags: tuple[str, ...], notes: str | None,
                broad: bool) -> None:
    """Add the organization NAME; the customers of its domains without an organization join it."""
    from desk.audit import CLI

    with open_desk(settings) as desk:
        org = desk.organizations.create(name, _domains(domains), notes, list(tags), by=CLI, confirm_broad=broad)
        members = desk.organizations.detail(org.id)
    click.echo(f"organization {org.id} added: {org.name}, {members.member_count if members else 0} members")


@organizations_group.command("edit")
@location_options
@click.argument("organization_id", type=int)
@click.option("--name", default=None)
@click.option("--domain", "domains", multiple=True, help="the whole list, repeated for each; --domain '' for none")
@click.option("--tag", "tags", multiple=True, help="the whole list, repeated for each; --tag '' for none")
@click.option("--notes", default=None, help="the notes ('' clears them)")
@click.option("--broad", is_flag=True, help="add a public mail domain (gmail.com) anyway: all its customers join")
def edit_command(settings: Settings, organization_id: int, name: str | None, domains: tuple[str, ...],
                 tags: tuple[str, ...], notes: str | None, broad: bool) -> None:
    """Change the organization ORGANIZATION_ID: only the options given (a domain added brings its customers, one
    taken away takes out the members it brought)."""
    from desk.audit import CLI
    from desk.organizations import tags_of
    from desk.tickets import InputError

    with open_desk(settings) as desk:
        org = desk.organizations.get(organization_id)
        if org is None:
            raise InputError("organization", "no organization #%(id)s", id=organization_id)
        desk.organizations.edit(
            organization_id, org.name if name is None else name,
            [d.domain for d in org.domains] if not domains else _domains(domains),
            org.notes if notes is None else notes,
            tags_of(org) if not tags else [tag for tag in tags if tag.strip()], by=CLI, confirm_broad=broad)
        found = desk.organizations.detail(organization_id)
    assert found is not None
    click.echo(f"organization {organization_id} saved: {found.organization.name}, "
               f"{','.join(d.domain for d in found.organization.domains) or 'no domains'}, "
               f"{found.member_count} members")


@organizations_group.command("remove")
@location_options
@click.argument("organization_id", type=int)
def remove_command(settings: Settings, organization_id: int) -> None:
    """Delete the organization ORGANIZATION_ID: its members keep their tickets and have no organization."""
    from desk.audit import CLI

    with open_desk(settings) as desk:
        members = desk.organizations.delete(organization_id, by=CLI)
    click.echo(f"organization {organization_id} removed; {members} members have none now")


@organizations_group.command("member")
@location_options
@click.argument("email")
@click.argument("organization", required=False)
@click.option("--auto", "automatic", is_flag=True, help="by the email domain again")
@click.option("--none", "no_organization", is_flag=True, help="no organization, whatever the domains become")
def member_command(settings: Settings, email: str, organization: str | None, automatic: bool,
                   no_organization: bool) -> None:
    """Set the organization of the customer EMAIL by hand: ORGANIZATION (its id or name), --none, or --auto (by
    their email domain again)."""
    from desk.audit import CLI
    from desk.organizations import AUTO
    from desk.tickets import InputError

    if (organization is not None) + automatic + no_organization != 1:
        raise click.UsageError("give one of ORGANIZATION, --auto or --none")
    with open_desk(settings) as desk:
        customer = desk.erasure.by_email(email)
        if customer is None:
            raise InputError("email", "no customer has the email %(email)s", email=repr(email.strip().lower()))
        choice: int | str | None = AUTO if automatic else None
        if organization is not None:
            found = desk.organizations.by_name(organization)
            if found is None and not (organization.strip().isascii() and organization.strip().isdecimal()):
                raise InputError("organization", "no organization %(name)s", name=repr(organization))
            choice = found.id if found is not None else int(organization.strip())
        changed = desk.organizations.set_customer(customer.id, choice, by=CLI)
        org = desk.organizations.get(changed.organization_id) if changed.organization_id else None
    how = "by hand" if changed.organization_manual else "by email domain"
    click.echo(f"{changed.email}: {f'{org.name} (#{org.id})' if org else 'no organization'}, {how}")
