"""Demo data: a realistic, bilingual after-sales department to explore Fieldsync with.

``load_demo`` fills an empty, migrated database with regions, teams, users, customers, sites,
equipment, a parts catalogue with warehouse and van stock, and 80 jobs in every status of the
workflow, with timestamps, trip logs, part lines, ratings, receipts, complaints and the
customer's and engineer's signatures that agree with each job's status (so a signed job's
report can be issued). The content depends only on the seed and ``now``, so a demo is
reproducible; record ids (UUIDv7) are new on every load.
"""

from __future__ import annotations

import math
import random
import uuid
from collections import Counter as Tally
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api import audit as _audit  # noqa: F401  (demo rows are audited like any other write)
from api.db import Database
from api.domain.jobs.services import start_callback_clock, start_clocks
from api.domain.reports.content import content_input
from api.domain.settlement.services import freeze as freeze_settlement
from api.domain.sync.handlers import store_signature_png
from api.media.signatures import render_png
from api.media.store import BlobStore
from api.models import (
    Asset,
    Assignment,
    Base,
    Billing,
    Channel,
    Complaint,
    ComplaintSeverity,
    ComplaintStatus,
    Contact,
    Customer,
    Job,
    LocationKind,
    Part,
    PartLine,
    PartSource,
    ReceiptEvent,
    ReceiptStatus,
    Region,
    RepairReceipt,
    Role,
    Satisfaction,
    SatisfactionSource,
    Signature,
    SignerRole,
    Site,
    StockLevel,
    StockLocation,
    Team,
    TeamKind,
    TripEvent,
    TripKind,
    Urgency,
    User,
)
from api.numbers import next_number
from api.security import hash_password
from api.settings import SettlementSettings
from pdf.canonical import content_sha256
from sync.ids import uuid7
from sync.rules.lifecycle import JobStatus
from sync.rules.sla import WorkCalendar
from sync.rules.warranty import in_warranty, warranty_end

DEMO_PASSWORD = "demo1234"  # noqa: S105  (public on purpose: it is printed for the demo)
"""The password of every demo user; printed by ``fieldsync demo``."""

S = JobStatus

JOB_COUNTS: dict[JobStatus, int] = {
    S.REPORTED: 5,
    S.ACCEPTED: 5,
    S.ASSIGNED: 7,
    S.EN_ROUTE: 3,
    S.ON_SITE: 3,
    S.WAITING_PARTS: 5,
    S.WORK_DONE: 5,
    S.SIGNED: 5,
    S.REVIEWED: 5,
    S.SETTLED: 6,
    S.FOLLOWED_UP: 8,
    S.CLOSED: 17,
    S.CANCELLED: 3,
    S.REOPENED: 3,
}
"""How many demo jobs stand in each status: every status at least three times, 80 in all."""

HISTORY_DAYS = 45
"""Demo jobs were reported within this many days before ``now``."""

# How many hours ago an open job's last step was: an engineer is en route for an hour, not a
# week. Closed and cancelled jobs are missing here: they spread over the whole history.
_AGE_HOURS: dict[JobStatus, tuple[float, float]] = {
    S.REPORTED: (0.5, 30),
    S.ACCEPTED: (0.5, 20),
    S.ASSIGNED: (0.5, 36),
    S.EN_ROUTE: (0.2, 1.5),
    S.ON_SITE: (0.3, 5),
    S.WAITING_PARTS: (2, 72),
    S.WORK_DONE: (0.5, 20),
    S.SIGNED: (1, 48),
    S.REVIEWED: (2, 72),
    S.SETTLED: (2, 40),
    S.FOLLOWED_UP: (2, 96),
    S.REOPENED: (1, 48),
}
_TODAY_SLOTS = (time(9, 0), time(11, 0), time(14, 0), time(16, 0))
"""Local times of engineer1's visits booked for today."""

# Statuses whose site visit is finished, so they carry a full service record and part lines.
_DONE = frozenset(
    {S.WORK_DONE, S.SIGNED, S.REVIEWED, S.SETTLED, S.FOLLOWED_UP, S.CLOSED, S.REOPENED}
)
# An engineer in one of these is in one place, so has at most one such job.
_BUSY = frozenset({S.EN_ROUTE, S.ON_SITE})
# The workflow steps in order; a job's status says how far along this chain it got.
_CHAIN = (
    S.REPORTED,
    S.ACCEPTED,
    S.ASSIGNED,
    S.EN_ROUTE,
    S.ON_SITE,
    S.WORK_DONE,
    S.SIGNED,
    S.REVIEWED,
    S.SETTLED,
    S.FOLLOWED_UP,
    S.CLOSED,
)
_STAGE = {status: i for i, status in enumerate(_CHAIN)}
# Where each status sits on the chain; the side states borrow the step they branch from.
_REACHED = {**_STAGE, S.WAITING_PARTS: _STAGE[S.ON_SITE], S.REOPENED: _STAGE[S.SETTLED]}


@dataclass(frozen=True)
class DemoSummary:
    """What ``load_demo`` created, and how to log in."""

    skipped: bool
    """True when demo data (a user named ``admin``) was already there and nothing was written."""
    regions: int = 0
    teams: int = 0
    users: int = 0
    customers: int = 0
    contacts: int = 0
    sites: int = 0
    assets: int = 0
    parts: int = 0
    stock_locations: int = 0
    stock_levels: int = 0
    jobs: int = 0
    part_lines: int = 0
    trip_events: int = 0
    satisfaction: int = 0
    repair_receipts: int = 0
    receipt_events: int = 0
    complaints: int = 0
    signatures: int = 0
    jobs_by_status: dict[str, int] = field(default_factory=dict)
    """Job count per status value."""
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    """(username, password, role) of every demo user."""

    def describe(self) -> str:
        """A few lines for the terminal: what was loaded, or why nothing was."""
        if self.skipped:
            return "Demo data is already loaded (a user named 'admin' exists); nothing was changed."
        counts = (
            f"{self.users} users, {self.customers} customers, {self.sites} sites, "
            f"{self.assets} assets, {self.parts} parts, {self.jobs} jobs"
        )
        logins = "\n".join(f"  {u:<12} {p}  ({r})" for u, p, r in self.logins)
        return f"Loaded demo data: {counts}.\nLogins:\n{logins}"


# --- Reference data ---------------------------------------------------------------------------

Text2 = tuple[str, str]
"""A text in Chinese and English."""


@dataclass(frozen=True)
class _City:
    zh: str
    en: str
    region: str
    lat: float
    lon: float
    area_code: str
    districts: tuple[Text2, ...]
    roads: tuple[Text2, ...]
    cores: tuple[str, ...]
    """Place names that Chinese company names start with."""


_CITIES = (
    _City(
        "上海",
        "Shanghai",
        "EAST",
        31.2304,
        121.4737,
        "021",
        (
            ("浦东新区", "Pudong"),
            ("徐汇区", "Xuhui"),
            ("静安区", "Jing'an"),
            ("闵行区", "Minhang"),
            ("嘉定区", "Jiading"),
        ),
        (
            ("世纪大道", "Century Avenue"),
            ("张江路", "Zhangjiang Road"),
            ("虹桥路", "Hongqiao Road"),
            ("南京西路", "West Nanjing Road"),
            ("漕溪北路", "North Caoxi Road"),
            ("曹安公路", "Cao'an Highway"),
        ),
        ("浦东", "金桥", "张江", "外高桥", "徐汇", "静安", "虹桥", "临港", "闵行", "嘉定"),
    ),
    _City(
        "北京",
        "Beijing",
        "NORTH",
        39.9042,
        116.4074,
        "010",
        (
            ("朝阳区", "Chaoyang"),
            ("海淀区", "Haidian"),
            ("丰台区", "Fengtai"),
            ("大兴区", "Daxing"),
            ("东城区", "Dongcheng"),
        ),
        (
            ("建国路", "Jianguo Road"),
            ("中关村大街", "Zhongguancun Street"),
            ("东三环中路", "East 3rd Ring Middle Road"),
            ("西直门外大街", "Xizhimenwai Street"),
            ("科创十三街", "Kechuang 13th Street"),
        ),
        ("朝阳", "海淀", "中关村", "亦庄", "丰台", "望京", "国贸", "顺义"),
    ),
    _City(
        "广州",
        "Guangzhou",
        "SOUTH",
        23.1291,
        113.2644,
        "020",
        (
            ("天河区", "Tianhe"),
            ("越秀区", "Yuexiu"),
            ("番禺区", "Panyu"),
            ("白云区", "Baiyun"),
            ("黄埔区", "Huangpu"),
        ),
        (
            ("天河路", "Tianhe Road"),
            ("黄埔大道", "Huangpu Avenue"),
            ("花城大道", "Huacheng Avenue"),
            ("中山大道", "Zhongshan Avenue"),
            ("广州大道", "Guangzhou Avenue"),
        ),
        ("天河", "珠江", "番禺", "白云", "黄埔", "南沙", "越秀", "花都"),
    ),
)
_CITY_BY_EN = {c.en: c for c in _CITIES}

_REGIONS = (("EAST", "华东 East"), ("NORTH", "华北 North"), ("SOUTH", "华南 South"))

_INDUSTRIES = (
    "建工集团",
    "置业有限公司",
    "物业管理有限公司",
    "生物医药股份有限公司",
    "数据科技有限公司",
    "酒店管理有限公司",
    "商业广场管理有限公司",
    "电子有限公司",
    "精密机械有限公司",
    "中心医院",
    "食品有限公司",
    "国际会展中心",
)

_ENGLISH_CUSTOMERS = (
    ("Harbourview Logistics (Shanghai) Co., Ltd.", "Shanghai"),
    ("Northwind Data Centers Beijing Ltd.", "Beijing"),
    ("Pearl River Grand Hotel Ltd.", "Guangzhou"),
    ("Bluestone Pharmaceuticals (Shanghai) Co., Ltd.", "Shanghai"),
    ("Summit International School Beijing", "Beijing"),
    ("Crescent Bay Retail Park Guangzhou", "Guangzhou"),
)

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "建华",
    "志强",
    "海燕",
    "晓东",
    "晓明",
    "文斌",
    "浩然",
)
_TITLES_ZH = ("设备部经理", "物业工程主管", "机电工程师", "后勤处处长", "行政经理", "值班电工")
_FIRST_EN = ("David", "Emma", "Michael", "Sophie", "James", "Olivia", "Daniel", "Grace")
_LAST_EN = ("Chen", "Wang", "Miller", "Smith", "Liu", "Brown", "Zhang", "Taylor")
_TITLES_EN = ("Facilities Manager", "Chief Engineer", "Operations Director", "Building Manager")
_SITES_ZH = (
    "总部大楼",
    "一号厂房",
    "二号厂房",
    "研发中心",
    "物流仓库",
    "门诊楼",
    "A座写字楼",
    "数据中心机房",
)
_SITES_EN = ("Head Office", "Main Building", "Plant 1", "Warehouse 2", "Data Hall A", "Tower B")


@dataclass(frozen=True)
class _PartFamily:
    name: str
    """Chinese name with ``{s}`` for the size or type."""
    name_en: str
    unit: str
    low: int
    high: int
    """Price range in yuan."""
    sizes: tuple[str, ...]


@dataclass(frozen=True)
class _Repair:
    diagnosis: Text2
    cause: Text2
    work_done: Text2
    advice: Text2
    faults: tuple[int, ...] = ()
    """The equipment's faults (indices) this repair answers: a job reports one of them."""
    parts: tuple[int, ...] = ()
    """The equipment's part families (indices) the work done uses."""


@dataclass(frozen=True)
class _Equipment:
    name: str
    name_en: str
    models: tuple[str, ...]
    serial_prefix: str
    weight: int
    """How common this equipment is among the demo assets."""
    faults: tuple[Text2, ...]
    repairs: tuple[_Repair, ...]
    parts: tuple[_PartFamily, ...]


_UNIT_EN = {
    "个": "pc",
    "只": "pc",
    "块": "pc",
    "根": "pc",
    "台": "set",
    "套": "set",
    "米": "m",
    "升": "L",
    "卷": "roll",
}
"""The demo catalogue's units in English, as an office would fill in ``unit_en``."""

_QUANTITIES = {"米": (2, 3, 5, 8), "升": (2, 4, 6), "卷": (1,)}
"""How much of a part measured in metres, litres or rolls a repair uses; pieces: 1 or 2."""

_TEN = ("10", "12", "16", "20", "25", "32", "40", "50", "63", "80")

_EQUIPMENT = (
    _Equipment(
        "冷水机组",
        "Chiller",
        ("30XW-1002", "19XR-5050", "WCFX-36", "YK-1500"),
        "CH",
        30,
        (
            (
                "冷水机组高压报警停机,复位后仍无法启动",
                "Chiller trips on high pressure and will not restart after reset",
            ),
            (
                "出水温度偏高,空调区域制冷效果差",
                "Leaving water too warm; poor cooling in the served areas",
            ),
            ("压缩机运行噪音异常,振动明显", "Compressor is noisy and vibrates strongly"),
            ("控制面板显示通讯故障代码E07", "Control panel shows communication fault code E07"),
        ),
        (
            _Repair(
                (
                    "冷凝器换热效率下降,冷却水进出水温差仅1.5℃",
                    "Condenser heat transfer is down; cooling-water ΔT only 1.5 °C",
                ),
                (
                    "冷凝器铜管结垢严重,高压开关触点烧蚀",
                    "Heavy scale in the condenser tubes; high-pressure switch contacts burnt",
                ),
                (
                    "化学清洗冷凝器,更换高压开关,试运行2小时正常",
                    "Cleaned the condenser, replaced the high-pressure switch, 2 h test run OK",
                ),
                (
                    "每年制冷季前清洗冷凝器,定期检测冷却水水质",
                    "Clean the condenser before each cooling season; test the water regularly",
                ),
                faults=(0, 1),
                parts=(1,),
            ),
            _Repair(
                (
                    "制冷剂压力偏低,检漏发现膨胀阀接头渗漏",
                    "Low refrigerant pressure; leak found at the expansion-valve joint",
                ),
                ("接头密封件老化", "Aged joint seal"),
                (
                    "更换密封件和膨胀阀,抽真空后补充制冷剂",
                    "Replaced the seal and expansion valve, evacuated and recharged refrigerant",
                ),
                (
                    "每日记录运行压力,发现异常及时报修",
                    "Log operating pressures daily and report anything unusual at once",
                ),
                faults=(1,),
                parts=(3,),
            ),
            _Repair(
                (
                    "压缩机轴承磨损,润滑油颜色发黑",
                    "Compressor bearing worn; lubricating oil has turned dark",
                ),
                ("润滑油变质,油过滤器堵塞", "Oil degraded and the oil filter clogged"),
                (
                    "更换润滑油、油过滤器和交流接触器,调整减振垫",
                    "Changed the oil, oil filter and contactor; adjusted the anti-vibration mounts",
                ),
                (
                    "按保养手册每运行3000小时更换润滑油",
                    "Change the oil every 3,000 running hours as the maintenance manual says",
                ),
                faults=(2,),
                parts=(4, 2, 0),
            ),
        ),
        (
            _PartFamily(
                "交流接触器 CJX2-{s}",
                "AC contactor CJX2-{s}",
                "个",
                45,
                380,
                ("09", "12", "18", "25", "32", "40", "50", "65", "80", "95"),
            ),
            _PartFamily("高压压力开关 HP-{s}", "High-pressure switch HP-{s}", "个", 160, 480, _TEN),
            _PartFamily("油过滤器 OF-{s}", "Oil filter OF-{s}", "个", 120, 600, _TEN),
            _PartFamily(
                "热力膨胀阀 TEV-{s}", "Thermal expansion valve TEV-{s}", "个", 380, 2600, _TEN
            ),
            _PartFamily("冷冻油 RL-{s}", "Refrigeration oil RL-{s}", "升", 90, 180, _TEN),
            _PartFamily(
                "紫铜管 Φ{s}",
                "Copper tube Ø{s} mm",
                "米",
                28,
                160,
                ("6", "8", "10", "12", "16", "19", "22", "28", "35", "42"),
            ),
        ),
    ),
    _Equipment(
        "乘客电梯",
        "Passenger elevator",
        ("GeN2-MR-1000", "3300AP", "MonoSpace-500", "NPX-1350"),
        "EL",
        30,
        (
            (
                "电梯运行中急停困人,已由物业放出",
                "Lift stopped between floors with passengers; released by building staff",
            ),
            ("电梯门反复开关,无法正常关闭", "Doors keep reopening and will not close"),
            ("轿厢运行时有异响和抖动", "Car makes noise and judders while running"),
            ("电梯平层不准,误差约3厘米", "Car does not level; about 3 cm off at the landings"),
        ),
        (
            _Repair(
                ("门机光幕信号时有时无", "Door light-curtain signal drops in and out"),
                (
                    "光幕接收器进灰,线缆磨损",
                    "Dust in the light-curtain receiver and a chafed cable",
                ),
                (
                    "更换光幕,整理门机线缆,调整关门力矩",
                    "Replaced the light curtain, re-routed door cables, set closing torque",
                ),
                (
                    "请勿用物品挡门,每周清洁门地坎",
                    "Do not hold the doors with objects; clean the door sills weekly",
                ),
                faults=(1,),
                parts=(1,),
            ),
            _Repair(
                ("曳引机编码器信号异常", "Traction-machine encoder signal faulty"),
                ("编码器受潮损坏", "Encoder damaged by moisture"),
                (
                    "更换编码器,重新进行井道自学习和平层调整",
                    "Replaced the encoder, re-ran the shaft learning and levelling",
                ),
                (
                    "机房保持干燥通风,雨季注意防潮",
                    "Keep the machine room dry and ventilated, especially in the rainy season",
                ),
                faults=(0, 3),
                parts=(3,),
            ),
            _Repair(
                ("导靴靴衬磨损严重", "Guide-shoe liners badly worn"),
                ("长期未润滑导轨", "Guide rails not lubricated for a long time"),
                (
                    "更换全部导靴靴衬,清洁并润滑导轨",
                    "Replaced all guide-shoe liners, cleaned and lubricated the rails",
                ),
                ("按规定每半月进行一次维护保养", "Keep to the fortnightly maintenance schedule"),
                faults=(2,),
                parts=(2,),
            ),
        ),
        (
            _PartFamily("门机皮带 DB-{s}", "Door operator belt DB-{s}", "根", 60, 220, _TEN),
            _PartFamily("光幕 LC-{s}", "Light curtain LC-{s}", "套", 650, 1800, _TEN),
            _PartFamily("导靴靴衬 GS-{s}", "Guide-shoe liner GS-{s}", "个", 25, 90, _TEN),
            _PartFamily("旋转编码器 ENC-{s}", "Rotary encoder ENC-{s}", "个", 900, 3200, _TEN),
            _PartFamily(
                "曳引钢丝绳 {s}mm",
                "Hoist rope {s} mm",
                "米",
                35,
                120,
                ("6", "8", "9", "10", "11", "12", "13", "14", "16", "19"),
            ),
            _PartFamily("召唤按钮 PB-{s}", "Call button PB-{s}", "个", 30, 150, _TEN),
        ),
    ),
    _Equipment(
        "循环水泵",
        "Circulation pump",
        ("KQL150-315", "CR 32-4", "NBG 100-65", "ISG80-160"),
        "PU",
        20,
        (
            ("水泵机械密封处漏水", "Pump leaks at the mechanical seal"),
            ("水泵运行但出口压力不足", "Pump runs but outlet pressure is too low"),
            ("电机过热跳闸", "Motor overheats and trips"),
        ),
        (
            _Repair(
                ("机械密封动静环磨损", "Mechanical seal faces worn"),
                ("水中含砂,密封面划伤", "Sand in the water scored the seal faces"),
                (
                    "更换机械密封,清洗过滤器,试压无渗漏",
                    "Replaced the mechanical seal, cleaned the strainer, pressure test OK",
                ),
                (
                    "定期清洗过滤器,防止杂质进入泵体",
                    "Clean the strainer regularly so debris does not reach the pump",
                ),
                faults=(0,),
                parts=(0,),
            ),
            _Repair(
                (
                    "叶轮被异物堵塞,轴承间隙偏大",
                    "Impeller blocked by debris; bearing play too large",
                ),
                ("进水口滤网破损", "Broken inlet screen"),
                (
                    "清理叶轮,更换轴承和滤网",
                    "Cleared the impeller, replaced the bearings and the screen",
                ),
                ("每季度检查进水滤网", "Inspect the inlet screen every quarter"),
                faults=(1, 2),
                parts=(1,),
            ),
        ),
        (
            _PartFamily("机械密封 MS-{s}", "Mechanical seal MS-{s}", "套", 180, 950, _TEN),
            _PartFamily(
                "深沟球轴承 {s}",
                "Deep-groove ball bearing {s}",
                "个",
                18,
                160,
                ("6204", "6205", "6206", "6207", "6208", "6209", "6210", "6211", "6212", "6213"),
            ),
            _PartFamily("叶轮 IMP-{s}", "Impeller IMP-{s}", "个", 600, 3800, _TEN),
            _PartFamily("联轴器弹性块 CP-{s}", "Coupling insert CP-{s}", "个", 20, 85, _TEN),
            _PartFamily(
                "压力表 0-{s}MPa",
                "Pressure gauge 0-{s} MPa",
                "块",
                45,
                160,
                ("0.25", "0.4", "0.6", "1.0", "1.6", "2.5", "4.0", "6.0", "10", "16"),
            ),
            _PartFamily(
                "橡胶软接头 DN{s}",
                "Rubber flexible joint DN{s}",
                "个",
                80,
                560,
                ("25", "32", "40", "50", "65", "80", "100", "125", "150", "200"),
            ),
        ),
    ),
    _Equipment(
        "柴油发电机组",
        "Diesel generator set",
        ("C500D5", "KTA38-G5", "4012-46TWG2A"),
        "GE",
        10,
        (
            ("月度试机时发电机无法启动", "Generator fails to start at the monthly test run"),
            ("发电机输出电压不稳定", "Generator output voltage is unstable"),
            ("发电机组冷却液泄漏", "Coolant leaking from the generator set"),
        ),
        (
            _Repair(
                ("启动蓄电池电压仅10.8V", "Starter battery only 10.8 V"),
                ("蓄电池老化,浮充器故障", "Aged battery and a faulty float charger"),
                (
                    "更换启动蓄电池,修复浮充器,带载试机30分钟",
                    "Replaced the starter battery, repaired the charger, ran a 30-minute load test",
                ),
                ("每月空载试机一次,每季度带载试机", "Run off-load monthly and on load quarterly"),
                faults=(0,),
                parts=(0,),
            ),
            _Repair(
                ("自动电压调节器输出波动", "AVR output fluctuates"),
                ("AVR元件老化", "Aged AVR components"),
                ("更换AVR并调整输出电压至400V", "Replaced the AVR and set the output to 400 V"),
                (
                    "保持机房通风,避免控制箱过热",
                    "Keep the plant room ventilated so the control box does not overheat",
                ),
                faults=(1,),
                parts=(4,),
            ),
        ),
        (
            _PartFamily(
                "启动蓄电池 12V {s}Ah",
                "Starter battery 12 V {s} Ah",
                "块",
                450,
                1600,
                ("60", "80", "100", "120", "150", "165", "180", "200", "220", "250"),
            ),
            _PartFamily("机油滤清器 LF{s}", "Lube oil filter LF{s}", "个", 60, 320, _TEN),
            _PartFamily("燃油滤清器 FF{s}", "Fuel filter FF{s}", "个", 55, 280, _TEN),
            _PartFamily("空气滤清器 AF{s}", "Air filter AF{s}", "个", 120, 680, _TEN),
            _PartFamily(
                "自动电压调节器 SX{s}", "Automatic voltage regulator SX{s}", "台", 800, 4200, _TEN
            ),
            _PartFamily(
                "冷却水管 Φ{s}",
                "Coolant hose Ø{s} mm",
                "根",
                40,
                260,
                ("19", "25", "32", "38", "45", "51", "57", "63", "76", "89"),
            ),
        ),
    ),
    _Equipment(
        "火灾报警控制器",
        "Fire-alarm control panel",
        ("JB-QB-GST5000", "JB-TG-JBF-11SF", "NFS2-3030"),
        "FA",
        10,
        (
            ("三号防区频繁误报火警", "Frequent false fire alarms in zone 3"),
            ("控制器显示回路故障", "Panel reports a loop fault"),
            ("控制器提示备电故障", "Panel reports a backup-power fault"),
        ),
        (
            _Repair(
                (
                    "三号防区两只感烟探测器灵敏度漂移",
                    "Two smoke detectors in zone 3 have drifted in sensitivity",
                ),
                ("探测器积尘,装修粉尘进入", "Dust from renovation work inside the detectors"),
                (
                    "更换两只感烟探测器,清洁同区其余探测器,联动测试正常",
                    "Replaced two smoke detectors, cleaned the rest of the zone, test OK",
                ),
                ("装修施工期间请对探测器加防尘罩", "Cover the detectors during building work"),
                faults=(0,),
                parts=(0,),
            ),
            _Repair(
                ("二号回路短路,隔离器动作", "Short circuit on loop 2; isolator tripped"),
                ("吊顶施工损伤回路线缆", "Loop cable damaged during ceiling work"),
                (
                    "修复回路线缆,更换隔离模块和备用电池",
                    "Repaired the loop cable, replaced the isolator module and the backup battery",
                ),
                (
                    "施工前请通知我方确认线缆走向",
                    "Tell us before building work so we can mark the cable routes",
                ),
                faults=(1,),
                parts=(5, 3, 4),
            ),
        ),
        (
            _PartFamily("感烟探测器 JTY-GD-{s}", "Smoke detector JTY-GD-{s}", "只", 65, 260, _TEN),
            _PartFamily("感温探测器 JTW-ZCD-{s}", "Heat detector JTW-ZCD-{s}", "只", 55, 220, _TEN),
            _PartFamily(
                "手动报警按钮 J-SAM-{s}", "Manual call point J-SAM-{s}", "个", 70, 240, _TEN
            ),
            _PartFamily("输入输出模块 IO-{s}", "Input/output module IO-{s}", "个", 160, 520, _TEN),
            _PartFamily(
                "备用电池 12V {s}Ah",
                "Backup battery 12 V {s} Ah",
                "块",
                90,
                680,
                ("7", "12", "17", "24", "26", "33", "38", "40", "55", "65"),
            ),
            _PartFamily(
                "阻燃电缆 ZR-RVS 2×{s}",
                "Fire-resistant cable ZR-RVS 2×{s}",
                "卷",
                180,
                960,
                ("0.5", "0.75", "1.0", "1.5", "2.5", "4.0", "6.0", "10", "16", "25"),
            ),
        ),
    ),
)

_PLANS = (
    (
        "电话确认故障现象,安排工程师上门检修",
        "Confirmed the symptoms by phone; an engineer will visit and inspect",
    ),
    (
        "远程指导复位无效,安排上门并携带常用备件",
        "Remote reset did not help; engineer to visit with common spares",
    ),
    ("列为紧急故障,优先派工", "Treated as urgent and dispatched first"),
)
_CANCEL_REASONS = (
    ("客户自行复位后设备恢复正常,取消报修", "Customer reset the equipment and it works again"),
    ("重复报修,与已有工单为同一故障", "Duplicate of an existing job for the same fault"),
    (
        "客户要求延至下季度保养时一并处理",
        "Customer asked to handle it at next quarter's maintenance",
    ),
)
_PRAISE = (
    ("工程师准时到场,处理专业", "Engineer on time and professional"),
    ("讲解清楚,现场整洁", "Clear explanation, site left tidy"),
    ("问题已解决,满意", "Problem solved, satisfied"),
)
_UNHAPPY = (
    ("维修后两天故障再次出现", "The fault came back two days after the repair"),
    ("问题未彻底解决,要求重新检修", "Not fully fixed; customer wants another visit"),
)


# --- Building the data ------------------------------------------------------------------------


@dataclass
class _Plan:
    """One job before it gets its number."""

    job: Job
    asset: Asset
    english: bool


@dataclass
class _Rows:
    """Every row of the demo, by table, in an order that foreign keys allow."""

    regions: list[Region] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    assets: list[Asset] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    locations: list[StockLocation] = field(default_factory=list)
    levels: list[StockLevel] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    part_lines: list[PartLine] = field(default_factory=list)
    trips: list[TripEvent] = field(default_factory=list)
    ratings: list[Satisfaction] = field(default_factory=list)
    receipts: list[RepairReceipt] = field(default_factory=list)
    receipt_events: list[ReceiptEvent] = field(default_factory=list)
    complaints: list[Complaint] = field(default_factory=list)

    def layers(self) -> list[list[Base]]:
        """Every row in layers; a row refers only to rows of earlier layers.

        The unit of work orders inserts by relationships, and most of these foreign keys have
        none, so each layer is flushed before the next.
        """
        groups: Sequence[Sequence[Sequence[Base]]] = (
            (self.regions,),
            (self.teams,),
            (self.users,),
            (self.customers, self.parts),
            (self.contacts, self.sites, self.locations),
            (self.assets, self.levels),
            (self.jobs,),
            (self.part_lines, self.trips, self.ratings, self.receipts, self.complaints),
            (self.receipt_events,),
        )
        return [[row for table in layer for row in table] for layer in groups]


def _minutes(rng: random.Random, low: float, high: float) -> timedelta:
    """A random duration between ``low`` and ``high`` hours, in whole minutes."""
    return timedelta(minutes=rng.randint(round(low * 60), round(high * 60)))


class _Builder:
    """Makes the demo rows in memory; only ``load_demo`` talks to the database."""

    def __init__(self, rng: random.Random, now: datetime, cal: WorkCalendar, pw: str) -> None:
        self.rng = rng
        self.now = now
        self.cal = cal
        self.today = now.astimezone(cal.tz).date()
        self.password_hash = pw
        self.rows = _Rows()
        self.region_ids: dict[str, uuid.UUID] = {}
        self.engineers: list[User] = []
        self.dispatchers: list[User] = []
        self.supervisor: User | None = None
        self.english: set[uuid.UUID] = set()
        self.sites_by_id: dict[uuid.UUID, Site] = {}
        self.contacts_by_customer: dict[uuid.UUID, list[Contact]] = {}
        self.equipment_of: dict[uuid.UUID, _Equipment] = {}
        self.parts_of: dict[str, list[Part]] = {}
        self.family_parts: dict[tuple[str, int], list[Part]] = {}
        """Each equipment kind's parts by family (index into its ``parts``)."""
        self.van_parts: dict[uuid.UUID, set[uuid.UUID]] = {}
        self.booked_today: list[datetime] = []

    # Short helpers so the tables below read as data.
    def pick(self, items: Sequence[Text2], english: bool) -> str:
        text = self.rng.choice(items)
        return text[1] if english else text[0]

    def mobile(self) -> str:
        prefix = self.rng.choice(("38", "39", "37", "86", "58", "59", "35"))
        return f"1{prefix}{self.rng.randint(0, 99_999_999):08d}"

    def person_zh(self) -> str:
        return self.rng.choice(_SURNAMES) + self.rng.choice(_GIVEN)

    def near(self, city: _City, spread: float) -> tuple[float, float]:
        lat = city.lat + self.rng.uniform(-spread, spread)
        lon = city.lon + self.rng.uniform(-spread, spread) * 1.2
        return round(lat, 6), round(lon, 6)

    def address(self, city: _City, english: bool) -> str:
        district = self.rng.choice(city.districts)
        road = self.rng.choice(city.roads)
        number = self.rng.randint(1, 2999)
        if english:
            return f"{number} {road[1]}, {district[1]}, {city.en}"
        return f"{city.zh}市{district[0]}{road[0]}{number}号"

    # --- People and places ---

    def organisation(self) -> None:
        for code, name in _REGIONS:
            region = Region(id=uuid7(), code=code, name=name)
            self.rows.regions.append(region)
            self.region_ids[code] = region.id
        service = Team(id=uuid7(), name="售后服务组", kind=TeamKind.SERVICE)
        repair = Team(id=uuid7(), name="维修服务组", kind=TeamKind.REPAIR)
        self.rows.teams += [service, repair]
        people: list[tuple[str, str, Role, Team | None, str | None]] = [
            ("admin", "系统管理员", Role.ADMIN, None, None),
            ("dispatcher1", "王芳", Role.DISPATCHER, service, "EAST"),
            ("dispatcher2", "刘洋", Role.DISPATCHER, service, "SOUTH"),
            ("supervisor1", "陈静", Role.SUPERVISOR, service, None),
            ("quality1", "杨磊", Role.QUALITY, service, None),
        ]
        # Two engineers per region, so every site has someone nearby.
        for i, (name, home) in enumerate(
            (
                ("张伟", "EAST"),
                ("李娜", "EAST"),
                ("赵强", "NORTH"),
                ("孙浩", "NORTH"),
                ("周杰", "SOUTH"),
                ("吴敏", "SOUTH"),
            ),
            start=1,
        ):
            people.append((f"engineer{i}", name, Role.ENGINEER, repair, home))
        for username, display, role, team, region_code in people:
            user = User(
                id=uuid7(),
                username=username,
                display_name=display,
                password_hash=self.password_hash,
                role=role,
                team_id=team.id if team else None,
                region_id=self.region_ids[region_code] if region_code else None,
                phone=self.mobile(),
                email=f"{username}@fieldsync.example",
                locale="zh-CN",
            )
            self.rows.users.append(user)
            if role is Role.ENGINEER:
                self.engineers.append(user)
            elif role is Role.DISPATCHER:
                self.dispatchers.append(user)
            elif role is Role.SUPERVISOR:
                self.supervisor = user

    def customers(self) -> None:
        candidates = sorted(
            {
                (city.en, f"{city.zh}{core}{ind}")
                for city in _CITIES
                for core in city.cores
                for ind in _INDUSTRIES
            }
        )
        chosen: list[tuple[str, str, bool]] = [
            (city, name, False) for city, name in self.rng.sample(candidates, 54)
        ]
        chosen += [(city, name, True) for name, city in _ENGLISH_CUSTOMERS]
        self.rng.shuffle(chosen)
        for n, (city_en, name, english) in enumerate(chosen, start=1):
            city = _CITY_BY_EN[city_en]
            customer = Customer(
                id=uuid7(),
                code=f"C-{n:06d}",  # as the desk's new customers are numbered
                name=name,
                address=self.address(city, english),
                phone=f"{city.area_code}-{self.rng.randint(5000_0000, 8999_9999)}",
                email=f"facilities{n:02d}@customer{n:02d}.example.com",
                locale="en" if english else "zh-CN",
            )
            self.rows.customers.append(customer)
            if english:
                self.english.add(customer.id)
            self._contacts(customer, english)
            self._sites(customer, city, english)

    def _contacts(self, customer: Customer, english: bool) -> None:
        contacts = []
        for _ in range(self.rng.randint(1, 2)):
            if english:
                name = f"{self.rng.choice(_FIRST_EN)} {self.rng.choice(_LAST_EN)}"
                title = self.rng.choice(_TITLES_EN)
            else:
                name, title = self.person_zh(), self.rng.choice(_TITLES_ZH)
            contacts.append(
                Contact(
                    id=uuid7(), customer_id=customer.id, name=name, phone=self.mobile(), title=title
                )
            )
        self.rows.contacts += contacts
        self.contacts_by_customer[customer.id] = contacts

    def _sites(self, customer: Customer, city: _City, english: bool) -> None:
        labels = self.rng.sample(_SITES_EN if english else _SITES_ZH, self.rng.randint(1, 2))
        for i, label in enumerate(labels):
            # One site in twenty is out of town: the "remote" case of the service standards.
            remote = self.rng.random() < 0.05
            lat, lon = self.near(city, 0.6 if remote else 0.15)
            site = Site(
                id=uuid7(),
                customer_id=customer.id,
                name=label,
                address=customer.address if i == 0 else self.address(city, english),
                region_id=self.region_ids[city.region],
                latitude=lat,
                longitude=lon,
                remote=remote,
            )
            self.rows.sites.append(site)
            self.sites_by_id[site.id] = site

    def assets(self, total: int = 150) -> None:
        sites = list(self.rows.sites)
        # Every site gets one asset, the rest are spread at random.
        placement = sites + [self.rng.choice(sites) for _ in range(total - len(sites))]
        weights = [e.weight for e in _EQUIPMENT]
        serials: set[str] = set()
        per_site: Tally[tuple[uuid.UUID, str]] = Tally()
        legacy = set(self.rng.sample(range(total), 3))
        contract = set(self.rng.sample(sorted(set(range(total)) - legacy), 8))
        for i, site in enumerate(placement):
            kind = self.rng.choices(_EQUIPMENT, weights)[0]
            accepted: date | None = self.today - timedelta(days=self.rng.randint(20, 4 * 365))
            if i in legacy:
                accepted = None  # Old equipment taken over without papers: warranty unknown.
            year = accepted.year if accepted else self.today.year - 6
            serial = ""
            while not serial or serial in serials:
                serial = f"{kind.serial_prefix}{year}{self.rng.randint(100_000, 999_999)}"
            serials.add(serial)
            per_site[(site.id, kind.name)] += 1
            n = per_site[(site.id, kind.name)]
            english = site.customer_id in self.english
            months = 36 if i in contract else None
            asset = Asset(
                id=uuid7(),
                customer_id=site.customer_id,
                site_id=site.id,
                name=f"{kind.name_en} No. {n}" if english else f"{n}号{kind.name}",
                model=self.rng.choice(kind.models),
                serial=serial,
                acceptance_date=accepted,
                warranty_months=months,
                warranty_end=warranty_end(accepted, months) if accepted else None,
                contract_ref=f"HT-{year}-{self.rng.randint(100, 999)}" if i in contract else "",
            )
            self.rows.assets.append(asset)
            self.equipment_of[asset.id] = kind

    def parts(self) -> None:
        code = 10_000
        for kind in _EQUIPMENT:
            family_parts: list[Part] = []
            for index, family in enumerate(kind.parts):
                self.family_parts[kind.name, index] = []
                for size in family.sizes:
                    code += self.rng.randint(1, 9)  # Gaps, as in a catalogue with retired codes.
                    price = Decimal(self.rng.randint(family.low * 100, family.high * 100)) / 100
                    part = Part(
                        id=uuid7(),
                        code=f"P-{code}",
                        name=family.name.format(s=size),
                        name_en=family.name_en.format(s=size),
                        unit=family.unit,
                        unit_en=_UNIT_EN[family.unit],
                        price=price.quantize(Decimal("0.01")),
                    )
                    family_parts.append(part)
                    self.family_parts[kind.name, index].append(part)
            self.parts_of[kind.name] = family_parts
            self.rows.parts += family_parts

    def stock(self) -> None:
        warehouse = StockLocation(
            id=uuid7(), kind=LocationKind.WAREHOUSE, name="中心仓库 Central warehouse"
        )
        self.rows.locations.append(warehouse)
        for part in self.rows.parts:
            qty = Decimal(self.rng.randint(5, 200))
            self.rows.levels.append(
                StockLevel(location_id=warehouse.id, part_id=part.id, quantity=qty)
            )
        for engineer in self.engineers:
            van = StockLocation(
                id=uuid7(),
                kind=LocationKind.VAN,
                name=f"{engineer.display_name}的车 Van {engineer.username}",
                engineer_id=engineer.id,
            )
            self.rows.locations.append(van)
            stocked = self.rng.sample(self.rows.parts, self.rng.randint(20, 40))
            self.van_parts[engineer.id] = {p.id for p in stocked}
            for part in stocked:
                qty = Decimal(self.rng.randint(1, 12))
                self.rows.levels.append(
                    StockLevel(location_id=van.id, part_id=part.id, quantity=qty)
                )

    # --- Jobs ---

    def jobs(self) -> list[_Plan]:
        statuses = [status for status, count in JOB_COUNTS.items() for _ in range(count)]
        engineer1 = self.engineers[0]
        covered = [a for a in self.rows.assets if in_warranty(a.warranty_end, self.today)]
        expired = [a for a in self.rows.assets if not in_warranty(a.warranty_end, self.today)]
        self.rng.shuffle(covered)
        self.rng.shuffle(expired)
        plans: list[_Plan] = []
        today_jobs = {S.ASSIGNED: 3, S.EN_ROUTE: 1}
        # Someone en route or on site is in one place: one such job per engineer at most.
        busy = {engineer1.id}
        done_seen = 0
        for status in statuses:
            mine = today_jobs.get(status, 0) > 0
            if mine:
                today_jobs[status] -= 1
                engineer = engineer1
                asset = self.rng.choice(self._assets_in(engineer.region_id))
            elif status in _BUSY:
                engineer = self.rng.choice([e for e in self.engineers if e.id not in busy])
                busy.add(engineer.id)
                asset = self.rng.choice(self._assets_in(engineer.region_id))
            else:
                if status in _DONE:
                    # Alternate so the demo shows both free and chargeable repairs.
                    pool = covered if done_seen % 2 == 0 else expired
                    asset = pool[done_seen // 2 % len(pool)]
                    done_seen += 1
                else:
                    asset = self.rng.choice(self.rows.assets)
                region = self.sites_by_id[asset.site_id].region_id
                engineer = self.rng.choice([e for e in self.engineers if e.region_id == region])
            site = self.sites_by_id[asset.site_id]
            plans.append(self._job(status, asset, site, engineer, today=mine))
        plans.sort(key=lambda p: p.job.reported_at)
        return plans

    def _assets_in(self, region_id: uuid.UUID | None) -> list[Asset]:
        return [a for a in self.rows.assets if self.sites_by_id[a.site_id].region_id == region_id]

    def _job(
        self, status: JobStatus, asset: Asset, site: Site, engineer: User, *, today: bool
    ) -> _Plan:
        rng = self.rng
        english = asset.customer_id in self.english
        kind = self.equipment_of[asset.id]
        # A cancelled job stopped somewhere before the visit.
        cancelled_from = rng.choice((S.REPORTED, S.ACCEPTED, S.ASSIGNED))
        reached = _STAGE[cancelled_from] if status is S.CANCELLED else _REACHED[status]

        # Durations between the steps; a step happens only if the job got that far.
        t: dict[str, timedelta] = {}
        elapsed = timedelta(0)

        def step(name: str, low: float, high: float) -> None:
            nonlocal elapsed
            elapsed += _minutes(rng, low, high)
            t[name] = elapsed

        # One plan in ten is late, so the SLA views have something to show.
        late_plan = rng.random() < 0.1
        straight = rng.random() < 0.4  # Dispatched at once, without a separate acceptance.
        if reached >= _STAGE[S.ACCEPTED]:
            if late_plan:
                step("plan", 24.5, 30)
            else:
                step("plan", 0.2, 6)
        if reached >= _STAGE[S.ASSIGNED]:
            if straight:
                step("assigned", 0, 0)
            else:
                step("assigned", 0.1, 4)
            # Engineer 1's fresh jobs stay unacknowledged, so the demo can show acknowledging.
            if reached >= _STAGE[S.EN_ROUTE] or (not today and rng.random() < 0.5):
                step("acknowledged", 0.05, 1)
        if reached >= _STAGE[S.EN_ROUTE]:
            step("departed", 0.5, 40)
        if reached >= _STAGE[S.ON_SITE]:
            step("arrived", 0.4, 2)
        if status is S.WAITING_PARTS:
            step("left", 1, 3)
        if reached >= _STAGE[S.WORK_DONE]:
            step("completed", 1, 6)
            t["left"] = t["completed"] + _minutes(rng, 0.1, 0.3)
        if reached >= _STAGE[S.SIGNED]:
            # Signed on site, on the engineer's phone: before the engineer leaves.
            t["signed"] = t["completed"] + _minutes(rng, 0.05, 0.15)
            t["left"] = t["signed"] + _minutes(rng, 0.05, 0.2)
            elapsed = max(elapsed, t["left"])
        if reached >= _STAGE[S.REVIEWED]:
            step("reviewed", 4, 72)
        if reached >= _STAGE[S.SETTLED]:
            step("settled", 24, 96)
        if reached >= _STAGE[S.FOLLOWED_UP] or status is S.REOPENED:
            step("called", 3, 30)
        if reached >= _STAGE[S.CLOSED]:
            step("closed", 1, 48)
        if status is S.CANCELLED:
            step("cancelled", 0.5, 20)
        elapsed = max([elapsed, *t.values()])

        # How long ago the last step was: open work is recent, closed work spreads back in time.
        span = (timedelta(days=HISTORY_DAYS) - elapsed).total_seconds() / 3600 - 1
        low, high = _AGE_HOURS.get(status, (1.0, span))
        if today:
            low, high = (0.2, 0.8) if status is S.EN_ROUTE else (0.5, 4.0)
        gap = _minutes(rng, low, min(high, span))
        reported = self.now - gap - elapsed
        if "arrived" in t and not today:
            # Visits happen in working hours: a visit that would fall at night moves the whole
            # job earlier (never later: nothing of it may lie ahead of now) to reach the site
            # in the day.
            local = (reported + t["arrived"]).astimezone(self.cal.tz)
            if not 8 <= local.hour < 18:
                reported -= timedelta(hours=(local.hour - rng.randint(9, 15)) % 24)

        def at(name: str) -> datetime | None:
            return reported + t[name] if name in t else None

        # The repair decides the fault reported, the record and the parts: a report whose fault,
        # work and parts tell one story.
        repair = rng.choice(kind.repairs)
        fault = kind.faults[rng.choice(repair.faults)] if repair.faults else rng.choice(kind.faults)
        contact = rng.choice(self.contacts_by_customer[asset.customer_id])
        channel = rng.choices(list(Channel), weights=(55, 20, 15, 10))[0]
        urgency = rng.choices(list(Urgency), weights=(15, 55, 22, 8))[0]
        dispatcher = rng.choice(self.dispatchers)
        assigned_at = at("assigned")
        departed = at("departed")
        scheduled: datetime | None = None
        if assigned_at is not None:
            if today and status is S.ASSIGNED:
                # Booked for today, so engineer1's list shows the day's plan.
                slot = _TODAY_SLOTS[len(self.booked_today) % len(_TODAY_SLOTS)]
                scheduled = datetime.combine(self.today, slot, tzinfo=self.cal.tz)
                self.booked_today.append(scheduled)
            elif departed is not None:
                scheduled = departed + timedelta(minutes=30)
            else:
                scheduled = assigned_at + _minutes(rng, 2, 30)
        job = Job(
            id=uuid7(),
            number="",
            customer_id=asset.customer_id,
            site_id=site.id,
            asset_id=asset.id,
            contact_name=contact.name,
            contact_phone=contact.phone,
            channel=channel,
            fault_description=fault[1 if english else 0],
            urgency=urgency,
            status=status,
            reported_at=reported,
            plan_given_at=at("plan") or assigned_at,
            assigned_at=assigned_at,
            acknowledged_at=at("acknowledged"),
            arrived_at=at("arrived"),
            completed_at=at("completed"),
            signed_at=at("signed"),
            reviewed_at=at("reviewed"),
            settled_at=at("settled"),
            followed_up_at=at("called"),  # a reopening call-back was made too
            closed_at=at("closed"),
            cancelled_at=at("cancelled"),
            scheduled_at=scheduled,
            assigned_engineer_id=engineer.id if assigned_at is not None else None,
            created_by=engineer.id if channel is Channel.ON_SITE else dispatcher.id,
            created_at=reported,
            updated_at=reported + elapsed,
        )
        # The same SLA clocks as a job registered through the API.
        start_clocks(job, self.cal)
        if job.plan_given_at is not None:
            job.handling_plan = self.pick(_PLANS, english)
        if job.settled_at is not None:
            start_callback_clock(job, self.cal)
        if job.reviewed_at is not None:
            job.review_note = "Record complete, approved" if english else "记录完整,同意结算"
        if status is S.CANCELLED:
            job.cancel_reason = self.pick(_CANCEL_REASONS, english)
        self._record(job, repair, status, english)
        self._trips(job, engineer, site, t, reported)
        if status in _DONE:
            self._part_lines(job, asset, kind, repair, engineer)
        self._ratings(job, status, engineer, dispatcher, english)
        return _Plan(job=job, asset=asset, english=english)

    def _record(self, job: Job, repair: _Repair, status: JobStatus, english: bool) -> None:
        lang = 1 if english else 0
        if status in _DONE:
            job.diagnosis = repair.diagnosis[lang]
            job.cause = repair.cause[lang]
            job.work_done = repair.work_done[lang]
            job.advice = repair.advice[lang]
        elif status is S.WAITING_PARTS:
            job.diagnosis = repair.diagnosis[lang]
            job.cause = repair.cause[lang]
            job.office_notes = (
                "Waiting for parts from the central warehouse"
                if english
                else "待料:已向中心仓库申请备件"
            )
        elif status is S.ON_SITE and self.rng.random() < 0.5:
            job.diagnosis = repair.diagnosis[lang]
        if status is S.REOPENED:
            job.office_notes = (
                "Call-back: customer not satisfied; new visit to be dispatched"
                if english
                else "回访客户不满意,需重新派工维修,直至客户满意"
            )

    def _trips(
        self, job: Job, engineer: User, site: Site, t: dict[str, timedelta], reported: datetime
    ) -> None:
        assert site.latitude is not None
        assert site.longitude is not None
        city_lat, city_lon = site.latitude + 0.05, site.longitude - 0.05
        for name, kind, lat, lon in (
            ("departed", TripKind.DEPARTED, city_lat, city_lon),
            ("arrived", TripKind.ARRIVED, site.latitude, site.longitude),
            ("left", TripKind.LEFT, site.latitude, site.longitude),
        ):
            if name not in t:
                continue
            when = reported + t[name]
            # Phones sync when they get signal, so the server sees some events late.
            synced = min(when + _minutes(self.rng, 0, 0.5), self.now)
            self.rows.trips.append(
                TripEvent(
                    id=uuid7(),
                    job_id=job.id,
                    engineer_id=engineer.id,
                    kind=kind,
                    device_time=when,
                    server_time=synced,
                    latitude=round(lat + self.rng.uniform(-2e-4, 2e-4), 6),
                    longitude=round(lon + self.rng.uniform(-2e-4, 2e-4), 6),
                    accuracy_m=round(self.rng.uniform(4, 30), 1),
                )
            )

    def _part_lines(
        self, job: Job, asset: Asset, kind: _Equipment, repair: _Repair, engineer: User
    ) -> None:
        assert job.arrived_at is not None
        assert job.completed_at is not None
        visit_day = job.arrived_at.astimezone(self.cal.tz).date()
        billing = (
            Billing.WARRANTY if in_warranty(asset.warranty_end, visit_day) else Billing.CHARGEABLE
        )
        van = self.van_parts[engineer.id]
        families = repair.parts or tuple(range(len(kind.parts)))
        for family in families:
            part = self.rng.choice(self.family_parts[kind.name, family])
            self.rows.part_lines.append(
                PartLine(
                    id=uuid7(),
                    job_id=job.id,
                    part_id=part.id,
                    quantity=Decimal(self.rng.choice(_QUANTITIES.get(part.unit, (1, 1, 2)))),
                    unit_price=part.price,
                    billing=billing,
                    source=PartSource.VAN if part.id in van else PartSource.WAREHOUSE,
                    created_by=engineer.id,
                    created_at=job.completed_at,
                    updated_at=job.completed_at,
                )
            )

    def _ratings(
        self, job: Job, status: JobStatus, engineer: User, dispatcher: User, english: bool
    ) -> None:
        # The customer rates on the phone at signing about two times in three.
        if job.signed_at is not None and self.rng.random() < 0.65:
            self.rows.ratings.append(
                Satisfaction(
                    id=uuid7(),
                    job_id=job.id,
                    source=SatisfactionSource.ON_SITE,
                    score=self.rng.choice((4, 5, 5, 5)),
                    remarks=self.pick(_PRAISE, english),
                    recorded_by=engineer.id,
                    at=job.signed_at,
                )
            )
        if status in (S.FOLLOWED_UP, S.CLOSED) and job.followed_up_at is not None:
            self.rows.ratings.append(
                Satisfaction(
                    id=uuid7(),
                    job_id=job.id,
                    source=SatisfactionSource.CALLBACK,
                    score=self.rng.choice((3, 4, 4, 5, 5, 5)),
                    remarks=self.pick(_PRAISE, english),
                    recorded_by=dispatcher.id,
                    at=job.followed_up_at,
                )
            )
        if status is S.REOPENED:
            # The unhappy call-back is the job's last step, the one that reopened it.
            self.rows.ratings.append(
                Satisfaction(
                    id=uuid7(),
                    job_id=job.id,
                    source=SatisfactionSource.CALLBACK,
                    score=self.rng.choice((1, 2)),
                    remarks=self.pick(_UNHAPPY, english),
                    recorded_by=dispatcher.id,
                    at=job.followed_up_at or job.updated_at,
                )
            )

    # --- Receipts and complaints ---

    def receipts(self, plans: list[_Plan]) -> list[tuple[RepairReceipt, int]]:
        """Return-for-repair receipts on three finished jobs; numbers are filled in later."""
        done = [p for p in plans if p.job.completed_at is not None]
        desk = self.dispatchers[0]
        made: list[tuple[RepairReceipt, int]] = []
        for plan, state in zip(
            self.rng.sample(done, 3),
            (ReceiptStatus.TAKEN, ReceiptStatus.IN_WORKSHOP, ReceiptStatus.RETURNED),
            strict=True,
        ):
            job = plan.job
            assert job.completed_at is not None
            assert job.assigned_engineer_id is not None
            taken = job.completed_at
            english = plan.english
            kind = self.equipment_of[plan.asset.id]
            receipt = RepairReceipt(
                id=uuid7(),
                job_id=job.id,
                number="",
                item_description=(
                    f"{kind.name_en} control board" if english else f"{kind.name}控制主板"
                ),
                serial=f"{plan.asset.serial}-CB",
                fault=job.fault_description,
                accessories="Power cable x1" if english else "电源线1根,外壳1个",
                status=state,
                taken_at=taken,
                promised_at=taken + timedelta(days=7),
                created_by=job.assigned_engineer_id,
            )
            self.rows.receipts.append(receipt)
            self.rows.receipt_events.append(
                ReceiptEvent(
                    id=uuid7(),
                    receipt_id=receipt.id,
                    seq=0,
                    direction="taken",
                    at=taken,
                    by_user_id=job.assigned_engineer_id,
                    note="",
                )
            )
            if state is not ReceiptStatus.TAKEN:
                inbound = min(taken + _minutes(self.rng, 2, 20), self.now)
                self.rows.receipt_events.append(
                    ReceiptEvent(
                        id=uuid7(),
                        receipt_id=receipt.id,
                        seq=1,
                        direction="in",
                        at=inbound,
                        by_user_id=desk.id,
                        note="入维修车间" if not english else "Into the workshop",
                    )
                )
                if state is ReceiptStatus.RETURNED:
                    back = min(inbound + _minutes(self.rng, 24, 96), self.now)
                    receipt.returned_at = back
                    self.rows.receipt_events.append(
                        ReceiptEvent(
                            id=uuid7(),
                            receipt_id=receipt.id,
                            seq=2,
                            direction="out",
                            at=back,
                            by_user_id=desk.id,
                            note="修复后交还客户" if not english else "Repaired, returned",
                        )
                    )
            year = taken.astimezone(self.cal.tz).year
            made.append((receipt, year))
        return made

    def complaints(self, plans: list[_Plan]) -> None:
        assert self.supervisor is not None
        owner = self.supervisor.id
        closed = next(p for p in plans if p.job.status is S.CLOSED)
        reopened = next(p for p in plans if p.job.status is S.REOPENED)
        lift = next(
            (p for p in plans if self.equipment_of[p.asset.id].name_en == "Passenger elevator"),
            plans[0],
        )
        entries = (
            (
                closed,
                ComplaintSeverity.MINOR,
                ComplaintStatus.RESOLVED,
                (
                    "工程师比约定时间晚到两小时",
                    "The engineer arrived two hours after the agreed time",
                ),
                (
                    "已向客户致歉,调整该区域派工时间",
                    "Apologised; dispatch times for the area adjusted",
                ),
            ),
            (
                reopened,
                ComplaintSeverity.MAJOR,
                ComplaintStatus.IN_PROGRESS,
                ("同一故障一个月内第二次报修", "Second report of the same fault within a month"),
                ("", ""),
            ),
            (
                lift,
                ComplaintSeverity.SERIOUS,
                ComplaintStatus.OPEN,
                (
                    "电梯困人故障处理不及时,客户要求总监书面答复",
                    "Slow response to a lift entrapment; customer wants the director to reply",
                ),
                ("", ""),
            ),
        )
        for plan, severity, state, text, resolution in entries:
            lang = 1 if plan.english else 0
            opened = min(plan.job.reported_at + timedelta(days=2), self.now - timedelta(hours=1))
            self.rows.complaints.append(
                Complaint(
                    id=uuid7(),
                    customer_id=plan.job.customer_id,
                    job_id=plan.job.id,
                    severity=severity,
                    description=text[lang],
                    status=state,
                    owner_id=owner,
                    deadline=opened + timedelta(days=3),
                    # Serious complaints go up to the director at once (情节重大者).
                    escalated_at=opened if severity is ComplaintSeverity.SERIOUS else None,
                    resolved_at=opened + timedelta(days=1)
                    if state is ComplaintStatus.RESOLVED
                    else None,
                    resolution=resolution[lang],
                    created_at=opened,
                    updated_at=opened,
                )
            )


def _strokes(rng: random.Random, width: int = 600, height: int = 200) -> dict[str, Any]:
    """A hand-drawn looking signature: a few waves of points, as a phone's pad records them."""
    strokes = []
    left = 40.0
    for s in range(rng.randint(2, 4)):
        points = []
        phase, amplitude, step = rng.uniform(0, 6), rng.uniform(20, 50), rng.uniform(3.5, 6)
        for i in range(rng.randint(18, 34)):
            x = left + i * step
            y = height / 2 + math.sin(phase + i / 3) * amplitude + rng.uniform(-3, 3)
            pressure = round(rng.uniform(0.35, 0.7), 2)
            points.append(
                {"x": round(x, 1), "y": round(y, 1), "t": s * 700 + i * 16, "p": pressure}
            )
        strokes.append(points)
        left = min(width - 150.0, points[-1]["x"] + rng.uniform(15, 40))
    return {"width": width, "height": height, "strokes": strokes}


async def _signatures(
    session: AsyncSession, builder: _Builder, rows: _Rows, blobs: BlobStore | None
) -> int:
    """The customer's and the engineer's signatures of every job signed on site, covering the
    job's content as it stands (so its report can be issued); a reopened job's are set aside
    by its unhappy call-back, as the office's reopening does."""
    names = {u.id: u.display_name for u in rows.users}
    made = 0
    for job in rows.jobs:
        if job.signed_at is None or job.assigned_engineer_id is None:
            continue
        content = content_sha256(await content_input(session, job))
        signers = (
            (SignerRole.CUSTOMER, job.contact_name or "客户"),
            (SignerRole.ENGINEER, names.get(job.assigned_engineer_id, "")),
        )
        for role, name in signers:
            strokes = _strokes(builder.rng)
            png = render_png(strokes)
            session.add(
                Signature(
                    job_id=job.id,
                    signer_role=role,
                    signer_name=name,
                    strokes=strokes,
                    png_sha256=await store_signature_png(
                        session, blobs, png, user_id=job.assigned_engineer_id
                    ),
                    content_sha256=content,
                    device_time=job.signed_at,
                    server_time=job.signed_at,
                    superseded_at=job.followed_up_at if job.status is S.REOPENED else None,
                )
            )
            made += 1
    await session.flush()
    return made


async def load_demo(
    db: Database,
    *,
    calendar: WorkCalendar,
    now: datetime | None = None,
    seed: int = 2026,
    blobs: BlobStore | None = None,
    rates: SettlementSettings | None = None,
) -> DemoSummary:
    """Fill an empty database with demo data; do nothing if a user named ``admin`` exists.

    The content depends only on ``seed`` and ``now`` (default: the current time), so two loads
    with the same arguments give the same customers, assets and jobs. Everything is written in
    one transaction: a failed load leaves no half-filled database behind. The signatures'
    images go to ``blobs`` (the server's store; without one they are named but not kept).
    Settled jobs keep their settlement frozen at ``rates`` (default: the default rates), as
    settling through the API does.
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    current = (now or datetime.now(UTC)).astimezone(UTC)
    async with db.write() as session:
        admin = await session.scalar(select(User.id).where(User.username == "admin"))
        if admin is not None:
            return DemoSummary(skipped=True)
        # One argon2 hash shared by all demo users: hashing is deliberately slow.
        builder = _Builder(random.Random(seed), current, calendar, hash_password(DEMO_PASSWORD))
        builder.organisation()
        builder.customers()
        builder.assets()
        builder.parts()
        builder.stock()
        plans = builder.jobs()
        builder.complaints(plans)
        receipts = builder.receipts(plans)
        # Numbers come from the counters in this same transaction, in the order of reporting.
        for plan in plans:
            year = plan.job.reported_at.astimezone(calendar.tz).year
            plan.job.number = await next_number(session, "FS", year)
        for receipt, year in receipts:
            receipt.number = await next_number(session, "RR", year)
        rows = builder.rows
        rows.jobs = [p.job for p in plans]
        for layer in rows.layers():
            session.add_all(layer)
            await session.flush()
        # Who holds each job: the sync scope of an engineer's phone (api/domain/sync).
        # A job followed up (and so a closed one) has left the phone: its assignment ended
        # with the satisfied call-back.
        session.add_all(
            Assignment(
                job_id=j.id,
                engineer_id=j.assigned_engineer_id,
                assigned_at=j.assigned_at,
                ended_at=j.followed_up_at if j.status in (S.FOLLOWED_UP, S.CLOSED) else None,
            )
            for j in rows.jobs
            if j.assigned_engineer_id is not None and j.assigned_at is not None
        )
        signatures = await _signatures(session, builder, rows, blobs)
        # Frozen as settling does it: a part line the phone adds later is not billed.
        for job in rows.jobs:
            if job.settled_at is not None:
                await freeze_settlement(
                    session,
                    job,
                    rates=rates or SettlementSettings(),
                    tz=calendar.tz,
                    now=job.settled_at,
                )
    statuses = Tally(str(job.status) for job in rows.jobs)
    return DemoSummary(
        skipped=False,
        regions=len(rows.regions),
        teams=len(rows.teams),
        users=len(rows.users),
        customers=len(rows.customers),
        contacts=len(rows.contacts),
        sites=len(rows.sites),
        assets=len(rows.assets),
        parts=len(rows.parts),
        stock_locations=len(rows.locations),
        stock_levels=len(rows.levels),
        jobs=len(rows.jobs),
        part_lines=len(rows.part_lines),
        trip_events=len(rows.trips),
        satisfaction=len(rows.ratings),
        repair_receipts=len(rows.receipts),
        receipt_events=len(rows.receipt_events),
        complaints=len(rows.complaints),
        signatures=signatures,
        jobs_by_status=dict(sorted(statuses.items())),
        logins=[(u.username, DEMO_PASSWORD, str(u.role)) for u in rows.users],
    )
