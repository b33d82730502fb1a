"""Message templates: a code, a text with ``${variable}`` placeholders, and how a send's TemplateParam fills it.

As on Aliyun, a template is registered (and approved) in advance and a send names it by code; the variables
come as a JSON object in a string whose values are strings (``{"code":"123456"}``, not ``{"code":123456}``).
Variables the text does not use are ignored; a variable it uses but the send lacks is an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from simulator.errors import ConfigError

__all__ = [
    "CREDIT_RESTORE",
    "DEFAULT_TEMPLATES",
    "MAX_CONTENT",
    "OVERDUE_NOTICE",
    "REPAYMENT_REMINDER",
    "VERIFICATION_CODE",
    "ParamError",
    "Template",
    "Templates",
    "parse_params",
    "segments",
]

#: Longest text a send may produce, signature included (longer is answered ``isv.PARAM_LENGTH_LIMIT``).
MAX_CONTENT = 500
_CODE = re.compile(r"SMS_[0-9]{1,12}")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SINGLE_SEGMENT = 70  # characters in one SMS; a longer text is split in parts of 67
_PART = 67
_MAX_SEGMENTS = 10


@dataclass(frozen=True, slots=True)
class Template:
    """One approved template: ``text`` with ``${name}`` placeholders, sent under ``code`` (``SMS_`` + digits)."""

    code: str
    text: str
    name: str = ""

    def __post_init__(self) -> None:
        if not _CODE.fullmatch(self.code):
            raise ConfigError(
                f"template code {self.code!r} is not an Aliyun template code; write it like 'SMS_153055065'",
                field="templates",
            )
        if not self.text.strip():
            raise ConfigError(f"template {self.code} has no text; give the message with ${{name}} placeholders")
        if len(self.text) > MAX_CONTENT:
            raise ConfigError(
                f"template {self.code} has {len(self.text)} characters; an SMS template holds at most {MAX_CONTENT}",
                field="templates",
            )

    @property
    def variables(self) -> tuple[str, ...]:
        """The placeholders' names, in order of first appearance."""
        return tuple(dict.fromkeys(_VARIABLE.findall(self.text)))

    def missing(self, params: Mapping[str, str]) -> list[str]:
        """The variables ``params`` does not give a value for."""
        return [name for name in self.variables if name not in params]

    def render(self, params: Mapping[str, str]) -> str:
        """The text with each placeholder replaced; every variable must be in ``params`` (see :meth:`missing`)."""
        return _VARIABLE.sub(lambda match: params[match.group(1)], self.text)


#: The funding bank's overdue notice, as the borrowers of the 2019 incident received it (the press quoted it
#: with an elision, kept here as "……"). It says the delinquency *is being* reported — the notice before the
#: negative report that the credit regulation (Art. 15) requires.
OVERDUE_NOTICE = Template(
    "SMS_153055065",
    "您在${platform}的贷款于${dueDate}发生逾期。根据《征信业管理条例》的规定，我行将该笔贷款逾期相关信息报送至"
    "金融信用信息基础数据库……发出本条短信即为我行履行了报送信息对您的通知义务。",
    "overdue notice (bank): cites the credit regulation, says the delinquency is reported",
)
#: A repayment reminder before the due date. No name, ID or card number, so it keeps to O7.
REPAYMENT_REMINDER = Template(
    "SMS_153055070",
    "您在${platform}的借款本期应还${amount}元，将于${dueDate}到期，请按时还款，以免影响您的个人征信。",
    "repayment reminder (platform)",
)
#: The platform's reassurance after the wrongful notices of 2019: "30 working days", not "30 days".
CREDIT_RESTORE = Template(
    "SMS_153055080",
    "如您收到${bank}逾期上报征信短信，请不要担心。我们会核实您的还款记录，确认还款正常无逾期的，"
    "会在30个工作日内为您恢复征信。",
    "credit-record restoration promise (platform)",
)
#: A one-time code.
VERIFICATION_CODE = Template(
    "SMS_153055090",
    "您的验证码为${code}，该验证码5分钟内有效，请勿泄露于他人。",
    "verification code",
)
DEFAULT_TEMPLATES: tuple[Template, ...] = (OVERDUE_NOTICE, REPAYMENT_REMINDER, CREDIT_RESTORE, VERIFICATION_CODE)


class Templates(Mapping[str, Template]):
    """The gateway's template registry by code: the defaults, then extra templates (which may replace them)."""

    __slots__ = ("_by_code",)

    def __init__(self, extra: Mapping[str, str] | Iterable[Template] = (), *, defaults: bool = True) -> None:
        self._by_code = {template.code: template for template in DEFAULT_TEMPLATES} if defaults else {}
        items = [Template(code, text) for code, text in extra.items()] if isinstance(extra, Mapping) else list(extra)
        for template in items:
            self._by_code[template.code] = template

    def __getitem__(self, code: str) -> Template:
        return self._by_code[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_code)

    def __len__(self) -> int:
        return len(self._by_code)

    def __repr__(self) -> str:
        return f"<Templates {', '.join(self._by_code)}>"


class ParamError(ValueError):
    """TemplateParam is not a JSON object of strings; the message says what is wrong."""


def parse_params(text: str | None) -> dict[str, str]:
    """A send's TemplateParam as a dict; ``None`` (no TemplateParam) is no variables."""
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParamError(f"TemplateParam is not JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(value, dict):
        raise ParamError(f"TemplateParam must be a JSON object, got {type(value).__name__}")
    wrong = [key for key, item in value.items() if not isinstance(item, str)]
    if wrong:
        raise ParamError(
            f'TemplateParam values must be strings (write {{{json.dumps(wrong[0])}:"…"}}); '
            f"not strings: {', '.join(wrong)}"
        )
    return value


def segments(content: str) -> int:
    """How many SMS parts ``content`` is billed as: one up to 70 characters, then parts of 67."""
    if len(content) <= _SINGLE_SEGMENT:
        return 1
    return min(_MAX_SEGMENTS, -(-len(content) // _PART))
