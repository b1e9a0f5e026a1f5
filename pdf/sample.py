"""A demo report (context and images) for tests, the benchmark and ``make docs``.

Images are drawn here with Pillow, so nothing is read from disk or the network.
"""

from __future__ import annotations

import hashlib
import io
import math
import random

from PIL import Image, ImageDraw, ImageFilter

from pdf.context import (
    AssetInfo,
    Company,
    JobInfo,
    PartRow,
    Party,
    PhotoRow,
    ReceiptRow,
    RenderJob,
    ReportContext,
    ReportInfo,
    Resource,
    Satisfaction,
    SignatureRow,
    Times,
)
from pdf.render import qr_png

CATEGORIES = ("before", "defect", "during", "during", "after", "nameplate")


def photo_jpeg(seed: int, width: int = 1600, height: int = 1200) -> bytes:
    """A photo-like JPEG (a 1600 px screen copy): gradients, shapes and a little grain."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    top = (rng.randrange(60, 200), rng.randrange(60, 200), rng.randrange(60, 200))
    for y in range(0, height, 4):
        t = y / height
        colour = tuple(int(c * (1 - t) + 40 * t) for c in top)
        draw.rectangle([0, y, width, y + 4], fill=colour)
    for _ in range(14):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(40, 260)
        fill = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse([x - r, y - r, x + r, y + r], fill=fill)
    image = image.filter(ImageFilter.GaussianBlur(2))
    # Fine grain like a phone camera's: a 1600 px copy then weighs what real ones do (~250 KB).
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    image = Image.blend(image, noise, 0.12)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82)
    return out.getvalue()


def signature_png(seed: int, width: int = 600, height: int = 200) -> bytes:
    """A black-on-white signature image like the server renders from strokes."""
    rng = random.Random(seed)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    points = []
    for i in range(120):
        x = 30 + i * 4.5
        y = height / 2 + math.sin(i / 6 + seed) * 45 + rng.uniform(-6, 6)
        points.append((x, y))
    draw.line(points, fill=0, width=4, joint="curve")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sample_job(
    *,
    language: str = "zh-CN",
    photos: int = 6,
    signatures: bool = True,
    text: str = "",
    pkcs12_path: str = "",
    pkcs12_passphrase: str = "",
) -> RenderJob:
    """A complete demo report. ``text`` is added to every free-text field (for escaping
    tests)."""
    resources: dict[str, Resource] = {}
    rows = []
    for i in range(photos):
        data = photo_jpeg(i)
        key = f"fieldsync:photo/{_sha(data)}"
        resources[key] = Resource(data, "image/jpeg")
        rows.append(
            PhotoRow(
                src=key,
                category=CATEGORIES[i % len(CATEGORIES)],
                caption=f"照片 {i + 1} photo{text}",
            )
        )
    verify_url = "https://service.example.com/r/check/3f9a0c7e1b2d4c5a9e8f7a6b5c4d3e2f"
    # The renderer draws the QR code; a plain render of the HTML needs it given.
    resources["fieldsync:qr"] = Resource(qr_png(verify_url), "image/png")
    sigs: list[SignatureRow | None] = [None, None]
    if signatures:
        for i in range(2):
            data = signature_png(i)
            key = f"fieldsync:signature/{_sha(data)}"
            resources[key] = Resource(data, "image/png")
            sigs[i] = SignatureRow(
                image=key,
                name=("赵经理" if i == 0 else "王工 Wang Wei") + text,
                signed_at="2026-11-26 11:40",
                place="上海市浦东新区碧波路690号 (31.2304, 121.4737)",
            )
    ctx = ReportContext(
        language=language,
        company=Company(
            name="菲尔德工程技术有限公司"
            if language == "zh-CN"
            else "Fieldsync Demo Engineering Co., Ltd.",
            address="上海市浦东新区科技路88号 / 88 Keji Road, Pudong, Shanghai",
            phone="400-800-0000",
        ),
        report=ReportInfo(
            number="RP-2026-000123",
            revision=1,
            issued_at="2026-11-26 12:05",
            content_sha256="1667bc2a41b34a0a1b873bf7b3ea0ed7e8f262fba6dda942417990ddaf339949",
            signed_content_sha256="1667bc2a41b34a0a1b873bf7b3ea0ed7e8f262fba6dda942417990ddaf339949",
            verify_url=verify_url,
            qr="fieldsync:qr",
        ),
        job=JobInfo(
            number="FS-2026-000123",
            reported_at="2026-11-25 16:32",
            channel="phone",
            contact_name="赵经理" + text,
            contact_phone="139 1234 5678",
            engineer_name="王伟 Wang Wei",
            fault_description="空调外机不制冷，报警代码E4。Outdoor unit not cooling, alarm E4."
            + text,
            diagnosis="压缩机烧毁，绕组对地绝缘 0.2 MΩ。Compressor burnt out." + text,
            cause="电源缺相运行（L2 熔断器熔断）。Phase loss on L2." + text,
            work_done="更换压缩机、L2 熔断器；抽真空 30 分钟，加注 R410A 2.5 kg，"
            "试机 45 分钟正常。\n"
            "Replaced compressor and fuse; vacuum 30 min; charged 2.5 kg R410A; test run OK."
            + text,
            advice="定期清洗过滤网；雷雨天气请断电；如再次出现 E4 请拨打 400-800-0000。" + text,
        ),
        customer=Party(
            name="上海浦东某某物业管理有限公司" + text,
            address="上海市浦东新区",
            phone="021-5555 0000",
        ),
        site=Party(name="张江科技园3号楼" + text, address="上海市浦东新区碧波路690号" + text),
        asset=AssetInfo(
            name="冷水机组 Chiller",
            model="KFR-72LW/A1",
            serial="SN20240615-0042" + text,
            warranty_status="in_warranty",
            warranty_end="2027-06-14",
        ),
        parts=[
            PartRow(
                "CMP-3HP", "压缩机 3匹 Compressor", "台", "1", "warranty", "3,200.00", "3,200.00"
            ),
            PartRow(
                "FUSE-15A", "熔断器 15A Fuse" + text, "个", "2", "chargeable", "12.50", "25.00"
            ),
            PartRow(
                "R410A", "制冷剂 R410A Refrigerant", "kg", "2.5", "chargeable", "85.00", "212.50"
            ),
        ],
        warranty_total="3,200.00",
        chargeable_total="237.50",
        currency="CNY",
        times=Times(
            departed_at="2026-11-26 08:10",
            arrived_at="2026-11-26 09:02",
            left_at="2026-11-26 11:55",
            completed_at="2026-11-26 11:30",
            on_site="2小时53分钟" if language == "zh-CN" else "2 h 53 min",
            timezone="Asia/Shanghai",
        ),
        photos=rows,
        receipts=[
            ReceiptRow(
                "RR-2026-000007",
                "控制主板 Control board" + text,
                "CB-2231",
                "上电无显示",
                "外壳、连接线",
                "2026-12-03 17:00",
            )
        ],
        satisfaction=Satisfaction(score=5, remarks="很满意，响应及时。Very quick." + text),
        customer_signature=sigs[0],
        engineer_signature=sigs[1],
    )
    return RenderJob(
        context=ctx,
        resources=resources,
        pkcs12_path=pkcs12_path,
        pkcs12_passphrase=pkcs12_passphrase,
    )


def main() -> None:
    """Write the signed demo report to the path given (``make docs`` draws its first page)."""
    import sys
    import tempfile
    from pathlib import Path

    from pdf.sign import make_self_signed
    from pdf.worker import render_and_sign

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "demo-report.pdf")
    with tempfile.TemporaryDirectory() as tmp:
        cert = make_self_signed(
            Path(tmp) / "demo.p12", common_name="Fieldsync demo", organisation="Fieldsync demo"
        )
        job = sample_job(pkcs12_path=str(cert.path), pkcs12_passphrase=cert.passphrase)
        target.write_bytes(render_and_sign(job).pdf)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
