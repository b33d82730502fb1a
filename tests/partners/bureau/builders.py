"""Hand-built records and files for the bureau tests, and helpers to submit them and read the outcome."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from simulator.core import Engine, Response
from simulator.journal import Entry

FURNISHER = "B10211000H0001"
OTHER_FURNISHER = "B10211000H0002"
ID_NUM = "110105199003071239"
OTHER_ID_NUM = "11010519491231002X"
ACCT = "LN201902100001"
BUREAU_DELAY = timedelta(hours=8)


def segment(month: str = "2019-05", rpy: str = "N", **fields: Any) -> dict[str, Any]:
    """A monthly segment; ``rpy`` other than N/C/* makes it a one-installment-overdue month."""
    overdue = rpy not in ("N", "C", "*")
    values: dict[str, Any] = {
        "Month": month,
        "SettDate": f"{month}-10",
        "AcctStatus": "2" if overdue else ("3" if rpy == "C" else "1"),
        "AcctBal": "1000.00",
        "RemRepPrd": 1,
        "FiveCate": "2" if overdue else "1",
        "RpyStatus": rpy,
        "OverdPrd": 1 if overdue else 0,
        "TotOverd": "1006.00" if overdue else "0.00",
        "OverdPrinc": "1000.00" if overdue else "0.00",
        "CurRpyAmt": "1006.00",
        "ActRpyAmt": "0.00" if overdue else "1006.00",
        "LatRpyDate": None if overdue else f"{month}-10",
    }
    values.update(fields)
    return values


def account(
    acct: str = ACCT,
    month: str = "2019-05",
    rpt_date: str | None = None,
    rpy: str = "N",
    *,
    id_num: str = ID_NUM,
    org: str = FURNISHER,
    code: str = "30",
    sgmt: dict[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A 210 record for ``month``, reported at month end unless ``rpt_date`` says otherwise."""
    record: dict[str, Any] = {
        "InfRecType": "210",
        "AcctCode": acct,
        "RptDate": rpt_date or _month_end(month),
        "RptDateCode": code,
        "Name": "张伟",
        "IDType": "10",
        "IDNum": id_num,
        "MngmtOrgCode": org,
        "AcctType": "D1",
        "OpenDate": "2019-02-10",
        "LoanAmt": "3000.00",
        "DueDate": "2019-08-10",
        "AcctMthlyBlgInfSgmt": sgmt if sgmt is not None else segment(month, rpy),
    }
    record.update(fields)
    return record


def correction(acct: str = ACCT, month: str = "2019-05", rpy: str = "C", **fields: Any) -> dict[str, Any]:
    """A 212 record replacing ``month`` with a segment of RpyStatus ``rpy``."""
    record: dict[str, Any] = {
        "InfRecType": "212",
        "ModRecCode": f"{acct}{month}",
        "AcctCode": acct,
        "Month": month,
        "MdfcSgmtCode": "AcctMthlyBlgInfSgmt",
        "AcctMthlyBlgInfSgmt": segment(month, rpy),
    }
    record.update(fields)
    return record


def segment_deletion(acct: str = ACCT, start: str = "2019-05", end: str | None = None) -> dict[str, Any]:
    return {
        "InfRecType": "213",
        "AcctCode": acct,
        "MdfcSgmtCode": "AcctMthlyBlgInfSgmt",
        "StartMonth": start,
        "EndMonth": end or start,
    }


def whole_deletion(acct: str = ACCT, del_code: str | None = None) -> dict[str, Any]:
    return {"InfRecType": "214", "AcctCode": acct, "DelRecCode": del_code or acct}


def submit(engine: Engine, *records: dict[str, Any], furnisher: str = FURNISHER) -> Response:
    body = {"furnisherCode": furnisher, "fileDate": "2019-05-31", "records": list(records)}
    return engine.call("bank", "bureau", "submitReport", body)


def feedback(engine: Engine, submission_id: str) -> dict[str, Any]:
    response = engine.call("bank", "bureau", "submissionFeedback", params={"submissionId": submission_id})
    assert response.status == 200, response.json()
    body: dict[str, Any] = response.json()
    return body


def load(engine: Engine, *records: dict[str, Any], furnisher: str = FURNISHER) -> list[str]:
    """Submit one file, let the bureau load it, and return the feedback code of each record."""
    response = submit(engine, *records, furnisher=furnisher)
    assert response.status == 202, response.json()
    engine.advance(by=BUREAU_DELAY)
    body = feedback(engine, response.json()["submissionId"])
    assert body["status"] == "DONE"
    return [row["code"] for row in body["records"]]


def report(engine: Engine, id_num: str = ID_NUM) -> dict[str, Any]:
    response = engine.call("platform", "bureau", "subjectReport", {"Name": "张伟", "IDType": "10", "IDNum": id_num})
    assert response.status == 200, response.json()
    body: dict[str, Any] = response.json()
    return body


def months(engine: Engine, acct: str = ACCT, id_num: str = ID_NUM) -> dict[str, str]:
    """Month → RpyStatus of one account in the subject's report."""
    for entry in report(engine, id_num)["accounts"]:
        if entry["AcctCode"] == acct:
            return {m["Month"]: m["RpyStatus"] for m in entry["months"]}
    return {}


def events(engine: Engine, name: str, **filters: Any) -> list[Entry]:
    return list(engine.journal.iter(kind="event", partner="bureau", operation=name, **filters))


def _month_end(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    days = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return f"{month}-{days[mon - 1]:02d}"
