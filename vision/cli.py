"""`hallbot face ...` and `hallbot idcard ...` sub-commands."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    face = subparsers.add_parser("face", help="face gallery: enrol, identify, delete")
    fsub = face.add_subparsers(dest="face_command", required=True)
    p = fsub.add_parser("enroll", help="store a face template for a customer (needs consent)")
    p.add_argument("--customer", required=True)
    p.add_argument("--image", required=True, type=Path)
    p.add_argument("--face-id", default=None, help="gallery face id (default face-<customer>)")
    p.add_argument("--consent", action="store_true", help="the customer has consented: record it now")
    p.set_defaults(func=cmd_enroll)
    p = fsub.add_parser("identify", help="1:N search of the face in an image")
    p.add_argument("image", type=Path)
    p.set_defaults(func=cmd_identify)
    p = fsub.add_parser("delete", help="remove every trace of a customer's face data")
    p.add_argument("customer")
    p.set_defaults(func=cmd_delete)

    card = subparsers.add_parser("idcard", help="resident ID card reader")
    csub = card.add_subparsers(dest="idcard_command", required=True)
    p = csub.add_parser("read", help="read one card and print its fields")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--simulator", type=Path, metavar="DIR", help="file-backed simulator directory")
    src.add_argument("--port", help="serial port of a SAM reader, e.g. /dev/ttyUSB0")
    p.add_argument("--baud", type=int, default=115200)
    p.add_argument("--show-id", action="store_true", help="print the full ID number (default masked)")
    p.set_defaults(func=cmd_idcard_read)


def _service():
    from .service import FaceService
    return FaceService(emotion=False)


def _print(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=1, default=str))


def cmd_enroll(args) -> int:
    svc = _service()
    try:
        if args.consent:
            svc.record_consent(args.customer, channel="cli")
        result = svc.enrol_image(args.customer, args.image, face_id=args.face_id)
    finally:
        svc.close()
    _print({k: v for k, v in result.to_dict().items() if k not in ("session_id", "ts")})
    if result.reason == "no_consent":
        print("error: no consent on record for this customer; pass --consent once they agree", file=sys.stderr)
        return 2
    return 0 if result.ok else 1


def cmd_identify(args) -> int:
    svc = _service()
    try:
        events, decision = svc.identify_image(args.image)
    finally:
        svc.close()
    out: dict[str, object] = {"events": [{k: v for k, v in e.to_dict().items() if k not in ("session_id", "ts")} for e in events]}
    if decision is not None:
        out["decision"] = asdict(decision)
    _print(out)
    if decision is None:
        return 1
    return 0 if decision.customer_id else 3


def cmd_delete(args) -> int:
    """The same erasure as the kiosk and the staff console (bot.privacy.erase_face): the gallery and
    the business record's face id."""
    from bot.privacy import erase_face
    from business.factory import get_business

    svc = _service()
    try:
        erased = erase_face(args.customer, svc, get_business())
    finally:
        svc.close()
    _print({"customer": args.customer, "deleted": erased.to_dict()})
    return 0 if erased.complete else 4


def cmd_idcard_read(args) -> int:
    from identity.idcard.base import IdCardReadError
    from identity.idcard.simulator import DirectorySimulator
    try:
        if args.port:
            from identity.idcard.serial_reader import SamSerialReader, open_serial
            card = SamSerialReader(open_serial(args.port, args.baud)).read()
        else:
            card = DirectorySimulator(args.simulator or Path("var/idcard-sim")).read()
    except IdCardReadError as exc:
        _print({"error": exc.code, "message": exc.message})
        return 1
    fields = {k: v for k, v in asdict(card).items() if k != "photo"}
    if not args.show_id:
        fields["id_number"] = card.masked_id
    fields["photo_bytes"] = len(card.photo)
    fields["problems"] = card.problems()
    _print(fields)
    return 0 if not fields["problems"] else 4
