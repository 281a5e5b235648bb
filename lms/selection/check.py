"""``lms selection check FILE --policy P``: the eligibility of every candidate of a JSON Lines pool.

One JSON line per candidate on stdout: ``{"nik", "policy", "eligible", "unmet": [{"rule", "message"}]}``.
A malformed line prints ``{"line": N, "error": [reasons]}`` on stderr, and the command then exits 1 once
the whole file is read. The pool is streamed, one line at a time: memory does not grow with its size.

``--policy sg2016`` picks the 2016 policy per candidate by appointment date (``policy_for_2016``); a
candidate outside both windows is ineligible under the rule ``pola_2016``.
"""

from __future__ import annotations

import json

import click

from lms.selection.candidate import read_pool
from lms.selection.policy import POLICY_IDS, load_policy
from lms.selection.rules import RULES, Unmet, policy_for_2016, unmet

PER_CANDIDATE_2016 = "sg2016"


@click.command("check")
@click.argument("file", type=click.File("rb"))
@click.option("--policy", "policy_id", required=True, type=click.Choice([*POLICY_IDS, PER_CANDIDATE_2016]),
              help="Policy id; sg2016 chooses PF/PLPG or SG-PPG per candidate by appointment date.")
def check_command(file, policy_id: str) -> None:
    """Check every candidate of FILE (JSON Lines) against a selection policy."""
    fixed = None if policy_id == PER_CANDIDATE_2016 else load_policy(policy_id)
    malformed = False
    for number, candidate, reasons in read_pool(file):
        if candidate is None:
            malformed = True
            click.echo(json.dumps({"line": number, "error": reasons}, ensure_ascii=False), err=True)
            continue
        chosen = fixed.id if fixed else policy_for_2016(candidate)
        if chosen is None:
            found = [Unmet("pola_2016", RULES["pola_2016"].message_for())]
        else:
            found = unmet(candidate, fixed or load_policy(chosen))
        click.echo(json.dumps({
            "nik": candidate.nik, "policy": chosen, "eligible": not found,
            "unmet": [{"rule": u.rule, "message": u.message} for u in found],
        }, ensure_ascii=False))
    if malformed:
        raise click.exceptions.Exit(1)
