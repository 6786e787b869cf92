"""A stand-in for the queue server that speaks the contract, for demos, screenshots and benchmarks.

It answers ``catalog.get``, ``ticket.issue`` and ``appointment.checkin`` on a real broker exactly as
docs/design/PROTOCOL.md asks (idempotent by request id: the same id returns the same reply and
creates nothing), and publishes a retained hall state. It holds no rules worth the name: the real server is
``queue_server``; this exists so the kiosk can be shown and measured on a machine where the server is
not running, and so tests can drop a reply on purpose (:attr:`DemoServer.drop_replies`).
"""

from __future__ import annotations

import itertools
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dtime
from typing import Any

from queue_server.protocol import topics
from queue_server.protocol.client import BrokerAddress, MqttLink, Received
from queue_server.protocol.codec import ProtocolError, decode, request_id_of
from queue_server.protocol.messages import (
    AppointmentCheckinArgs,
    CatalogGetArgs,
    CatalogResult,
    Disclosures,
    ErrorCode,
    HallState,
    MaterialLine,
    MatterInfo,
    Op,
    Request,
    Response,
    ServiceInfo,
    TicketIssueArgs,
    TicketResult,
    parse_args,
)

from .clock import HALL_TZ

log = logging.getLogger(__name__)


def _m(code: str, name: str, required: bool = True, note: str = "") -> MaterialLine:
    return MaterialLine(code=code, name=name, required=required, note=note)


def _next_morning() -> float:
    """08:30 tomorrow in the hall's time zone: when the closed demo service opens again."""
    tomorrow = datetime.now(HALL_TZ).date() + timedelta(days=1)
    return datetime.combine(tomorrow, dtime(8, 30), tzinfo=HALL_TZ).timestamp()


def demo_catalog(etag: str = "demo-1") -> CatalogResult:
    """A small hall: four services, a handful of matters with their eight disclosures."""
    services = [
        ServiceInfo(
            code="A", name="社保医保", open=True, waiting=12, eta_min=18, description="社保卡、医保报销、退休"
        ),
        ServiceInfo(
            code="B", name="不动产登记", open=True, waiting=5, eta_min=25, description="转移、抵押、首次登记"
        ),
        ServiceInfo(code="C", name="户籍证件", open=True, waiting=0, eta_min=0),
        ServiceInfo(
            code="D",
            name="企业开办",
            open=False,
            reason="今日取号已截止",
            next_open=_next_morning(),
        ),
    ]
    matters = [
        MatterInfo(
            code="A-001",
            name="城乡居民基本养老保险参保登记",
            service="A",
            department="市人力资源和社会保障局",
            case_type="immediate",
            promised_days=0,
            disclosures=Disclosures(
                content="为符合条件的城乡居民办理基本养老保险参保登记。",
                legal_basis="《中华人民共和国社会保险法》第二十条、第二十一条。",
                conditions="年满16周岁（不含在校学生），非国家机关和事业单位工作人员，不属于职工基本养老保险覆盖范围的城乡居民。",
                materials=[
                    _m("ID", "居民身份证原件"),
                    _m("HUKOU", "户口簿原件"),
                    _m("FORM-A1", "城乡居民基本养老保险参保登记表", note="可在窗口领取"),
                    _m("PHOTO", "近期一寸免冠照片", required=False),
                ],
                procedure="取号 → 窗口受理 → 审核 → 当场办结",
                time_limit="即办",
                fees="不收费",
                result="参保登记信息（社会保障卡可查询）",
            ),
        ),
        MatterInfo(
            code="A-002",
            name="医疗保险关系转移接续",
            service="A",
            department="市医疗保障局",
            case_type="promised",
            promised_days=15,
            disclosures=Disclosures(
                content="参保人跨统筹地区流动就业时，办理基本医疗保险关系转移接续。",
                legal_basis="《流动就业人员基本医疗保障关系转移接续暂行办法》。",
                conditions="已在转出地参加基本医疗保险并中止参保。",
                materials=[
                    _m("ID", "居民身份证原件"),
                    _m("MED-CERT", "参保凭证（转出地开具）"),
                ],
                procedure="取号 → 窗口受理 → 联系转出地 → 办结通知",
                time_limit="15个工作日",
                fees="不收费",
                result="医疗保险关系转移接续完成通知",
            ),
        ),
        MatterInfo(
            code="B-001",
            name="不动产首次登记",
            service="B",
            department="市自然资源和规划局",
            case_type="promised",
            promised_days=5,
            disclosures=Disclosures(
                content="对新建房屋等不动产办理首次登记。",
                legal_basis="《不动产登记暂行条例》第十四条。",
                conditions="权属来源清楚，界址清楚，面积准确。",
                materials=[
                    _m("APP-B", "不动产登记申请书"),
                    _m("ID", "申请人身份证明"),
                    _m("OWN", "不动产权属来源证明材料"),
                    _m("SURVEY", "不动产测绘报告"),
                ],
                procedure="取号 → 受理 → 审核 → 登簿 → 发证",
                time_limit="5个工作日",
                fees="住宅80元/件；非住宅550元/件",
                result="不动产权证书",
            ),
        ),
        MatterInfo(
            code="C-001",
            name="居民身份证换领",
            service="C",
            department="市公安局",
            case_type="promised",
            promised_days=20,
            disclosures=Disclosures(
                content="居民身份证有效期满或者登记项目变更时换领新证。",
                legal_basis="《中华人民共和国居民身份证法》第十一条。",
                conditions="本市户籍居民，身份证有效期满前三个月内或者登记项目变更。",
                materials=[_m("ID", "原居民身份证"), _m("HUKOU", "户口簿原件")],
                procedure="取号 → 采集照片和指纹 → 受理 → 制证 → 领证",
                time_limit="20个工作日",
                fees="20元",
                result="中华人民共和国居民身份证",
            ),
        ),
    ]
    return CatalogResult(etag=etag, hall_name="示范市政务服务中心", services=services, matters=matters)


@dataclass
class Appointment:
    code: str
    service: str
    status: str = "ok"  # ok | too_early | too_late
    id_hash: str | None = None


@dataclass
class DemoServer:
    """Answers kiosk requests of one hall on a broker; counts what it did."""

    hall: str
    broker: BrokerAddress
    catalog: CatalogResult = field(default_factory=demo_catalog)
    appointments: dict[str, Appointment] = field(default_factory=dict)
    citizen_base_url: str = "https://hall.example.gov.cn/t/"
    # Drop this many replies of these ops (the request is handled, the reply never leaves).
    drop_replies: dict[str, int] = field(default_factory=dict)
    # Answer nothing at all (a server that is down while the broker is up).
    silent: bool = False
    id_daily_limit: int = 3
    # Called with each new request after it was handled, before its reply goes out (test hooks).
    on_handled: Callable[[Request], None] | None = None

    def __post_init__(self) -> None:
        self.link = MqttLink(f"demo-server-{self.hall}"[:40], self.broker)
        self.tickets: dict[str, TicketResult] = {}  # by ticket id
        self.requests_seen: list[Request] = []
        self._replies: dict[str, Response] = {}  # request id -> reply, the idempotency table
        self._numbers: dict[str, itertools.count[int]] = {}
        self._per_id: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._undo: Callable[[], None] | None = None

    def start(self) -> None:
        self._undo = self.link.subscribe(topics.all_requests(self.hall), self._on_request)
        self.link.start()
        if not self.link.wait_connected(5.0):
            raise TimeoutError(f"demo server: broker {self.broker.host}:{self.broker.port} not reachable")
        self.publish_state()

    def stop(self) -> None:
        if self._undo is not None:
            self._undo()
        self.link.stop()

    def publish_state(self, **changes: Any) -> HallState:
        waiting: dict[str, int] = {}
        for t in self.tickets.values():
            waiting[t.service] = waiting.get(t.service, 0) + 1
        services = [
            s.model_copy(update={"waiting": s.waiting + waiting.get(s.code, 0)})
            for s in self.catalog.services
        ]
        state = HallState(
            seq=0,
            open=True,
            extended=False,
            hall_name=self.catalog.hall_name,
            services=services,
            waiting={s.code: s.waiting for s in services},
            eta_min={s.code: s.eta_min for s in services},
            catalog_etag=self.catalog.etag,
            ts=time.time(),
        ).model_copy(update=changes)
        self.link.publish_and_wait(topics.state(self.hall), state, retain=True)
        return state

    # --- request handling -------------------------------------------------------------------------

    def _on_request(self, msg: Received) -> None:
        topic = topics.parse_topic(msg.topic)
        if not isinstance(topic, topics.DeviceTopic):
            return
        resp_topic = topics.dev_resp(topic.hall, topic.device_id)
        try:
            req = decode(Request, msg.payload)
        except ProtocolError as exc:
            rid = request_id_of(msg.payload)
            if rid is not None:
                self.link.publish(resp_topic, Response.failure(rid, ErrorCode.BAD_REQUEST, str(exc)))
            return
        with self._lock:
            self.requests_seen.append(req)
            if self.silent:
                return
            reply = self._replies.get(req.id)
            if reply is None:
                reply = self._handle(req)
                if reply is None:
                    return
                if req.op != Op.CATALOG_GET:
                    self._replies[req.id] = reply
                if self.on_handled is not None:
                    self.on_handled(req)
            if self.drop_replies.get(req.op, 0) > 0:
                self.drop_replies[req.op] -= 1
                log.info("demo server: dropping the reply to %s %s", req.op, req.id)
                return
        self.link.publish(resp_topic, reply)

    def _handle(self, req: Request) -> Response | None:
        try:
            op, args = parse_args(req)
        except ProtocolError as exc:
            return Response.failure(req.id, ErrorCode.BAD_REQUEST, str(exc))
        if isinstance(args, CatalogGetArgs):
            if args.etag == self.catalog.etag:
                return Response.success(req.id, CatalogResult(etag=self.catalog.etag, not_modified=True))
            return Response.success(req.id, self.catalog)
        if isinstance(args, TicketIssueArgs):
            return self._issue(req.id, args)
        if isinstance(args, AppointmentCheckinArgs):
            return self._checkin(req.id, args)
        return Response.failure(req.id, ErrorCode.BAD_REQUEST, f"{op.value} is not served by the demo server")

    def _issue(self, rid: str, args: TicketIssueArgs, appointment: str | None = None) -> Response:
        matter = next((m for m in self.catalog.matters if m.code == args.matter), None)
        service_code = matter.service if matter is not None else args.service
        service = next((s for s in self.catalog.services if s.code == service_code), None)
        if service is None:
            return Response.failure(rid, ErrorCode.UNKNOWN_SERVICE)
        if not service.open:
            return Response.failure(rid, ErrorCode.CUTOFF_PASSED)
        if args.id_hash is not None:
            key = (args.id_hash, service.code)
            if self._per_id.get(key, 0) >= self.id_daily_limit:
                return Response.failure(rid, ErrorCode.ID_DAILY_LIMIT)
            self._per_id[key] = self._per_id.get(key, 0) + 1
        counter = self._numbers.setdefault(service.code, itertools.count(1))
        number = f"{service.code}{next(counter):03d}"
        ahead = service.waiting + sum(1 for t in self.tickets.values() if t.service == service.code)
        materials = [
            line.model_copy(update={"checked": line.code in args.materials})
            for line in (matter.disclosures.materials if matter is not None else [])
        ]
        ticket_id = f"{self.hall}-{number}-{len(self.tickets) + 1}"
        labels = {"elderly": "老年人", "disabled": "残疾人", "military": "军人", "pregnant": "孕妇"}
        ticket = TicketResult(
            ticket_id=ticket_id,
            number=number,
            service=service.code,
            service_name=service.name,
            matter=matter.code if matter is not None else None,
            matter_name=matter.name if matter is not None else None,
            hall_name=self.catalog.hall_name,
            issued_at=time.time(),
            people_ahead=ahead,
            eta_min=(service.eta_min or 0) + 2 * (ahead - service.waiting),
            priority=args.priority,
            priority_label=labels.get(args.priority or "", args.priority),
            # As the server: the QR code's token is a secret of its own, not the public ticket id.
            citizen_url=f"{self.citizen_base_url}{secrets.token_urlsafe(16)}",
            materials=materials,
            appointment=appointment,
        )
        self.tickets[ticket_id] = ticket
        return Response.success(rid, ticket)

    def _checkin(self, rid: str, args: AppointmentCheckinArgs) -> Response:
        appt = next(
            (
                a
                for a in self.appointments.values()
                if (args.code is not None and a.code == args.code)
                or (args.id_hash is not None and a.id_hash == args.id_hash)
            ),
            None,
        )
        if appt is None:
            return Response.failure(rid, ErrorCode.NOT_FOUND, "未找到该预约，请核对预约码。")
        if appt.status == "used":
            return Response.failure(rid, ErrorCode.INVALID_STATE, "该预约已签到，请勿重复签到。")
        if appt.status == "too_early":
            return Response.failure(rid, ErrorCode.TOO_EARLY, opens_at=time.time() + 3600)
        if appt.status == "too_late" and not args.walk_in_if_late:
            return Response.failure(rid, ErrorCode.TOO_LATE)
        walk_in = appt.status == "too_late"
        resp = self._issue(rid, TicketIssueArgs(service=appt.service), None if walk_in else appt.code)
        appt.status = "used"
        return resp
