"""充分授权 at the window: a clerk finishes a visit as a case type, and takes the decision it implies
(即办, 不予受理 with reasons, 受理 with the receipt), only as far as the hall's delegations allow
(``[[policies.delegations]]``, ``domain/policies.py``). Managers (值班长) are not limited: they are
whom a clerk refers the rest to. Checked in ``queue/windows.finish``, the one place every finish with
an outcome passes (the console's casework, a window agent's ``window.finish`` over MQTT)."""

from __future__ import annotations

from queue_server.domain.cases import CaseType
from queue_server.domain.policies import decision_for, may_decide
from queue_server.errors import RefusedError
from queue_server.protocol.messages import ErrorCode
from queue_server.services.engine.access import SUPERVISORS
from queue_server.services.engine.lookup import staff_by_id
from queue_server.services.engine.rules import hall_policy
from queue_server.services.engine.tx import Tx
from queue_server.services.ports import Actor, Role
from queue_server.store.tables import Window


def require_delegated(tx: Tx, window: Window, case_type: CaseType, actor: Actor) -> None:
    """Refuse a case type the person at the window may not decide alone (a clear zh-CN reason)."""
    grants = hall_policy(tx).grants
    if not grants or actor.role in SUPERVISORS:
        return
    # The person deciding: the one signed in at the window (a window agent acts for them).
    person = None if window.staff_id is None else staff_by_id(tx, window.staff_id)
    login = "" if person is None else person.login
    role = Role.STAFF.value if person is None else person.role
    if may_decide(grants, login, role, window.number, case_type):
        return
    decision = decision_for(case_type)
    act = case_type.label_zh if decision is None else f"{case_type.label_zh}（{decision.label_zh}）"
    raise RefusedError(
        f"您未获授权独立办结{act}，请报值班长审核办理。",
        code=ErrorCode.NOT_ELIGIBLE,
        case_type=case_type.value,
        decision=None if decision is None else decision.value,
        window=window.number,
    )
