"""Domain vocabulary. Values are the Chinese terms of the policy texts: they are stored as-is and
shown to users, so the API, the database and the bot speak one language."""

from __future__ import annotations

from enum import StrEnum


class BindingRole(StrEnum):
    LEGAL_REPRESENTATIVE = "法定代表人"
    AGENT = "经办人"


class DataClass(StrEnum):
    """分级分类: public information may be shown to institutions; non-public only under an
    authorization (国办发〔2021〕52号 第六、九条)."""

    PUBLIC = "public"
    NON_PUBLIC = "non_public"


class CreditCategory(StrEnum):
    # Public credit information (公共信用信息).
    ADMINISTRATIVE_LICENSE = "行政许可"
    ADMINISTRATIVE_PENALTY = "行政处罚"
    SERIOUS_DISHONESTY = "严重失信名单"
    JUDICIAL = "司法判决及执行"
    HONOR = "荣誉表彰"
    # Non-public information shared only with the enterprise's authorization.
    TAX_CREDIT_GRADE = "纳税信用等级"
    SOCIAL_INSURANCE_ARREARS = "社保欠缴"
    HOUSING_FUND_ARREARS = "公积金欠缴"
    UTILITY_ARREARS = "水电气欠费"
    REAL_ESTATE = "不动产"
    IMPORT_EXPORT = "进出口"
    INTELLECTUAL_PROPERTY = "知识产权"
    RESEARCH = "科技研发"

    @property
    def data_class(self) -> DataClass:
        return DATA_CLASS_BY_CATEGORY[self]


DATA_CLASS_BY_CATEGORY: dict[CreditCategory, DataClass] = {
    CreditCategory.ADMINISTRATIVE_LICENSE: DataClass.PUBLIC,
    CreditCategory.ADMINISTRATIVE_PENALTY: DataClass.PUBLIC,
    CreditCategory.SERIOUS_DISHONESTY: DataClass.PUBLIC,
    CreditCategory.JUDICIAL: DataClass.PUBLIC,
    CreditCategory.HONOR: DataClass.PUBLIC,
    CreditCategory.TAX_CREDIT_GRADE: DataClass.NON_PUBLIC,
    CreditCategory.SOCIAL_INSURANCE_ARREARS: DataClass.NON_PUBLIC,
    CreditCategory.HOUSING_FUND_ARREARS: DataClass.NON_PUBLIC,
    CreditCategory.UTILITY_ARREARS: DataClass.NON_PUBLIC,
    CreditCategory.REAL_ESTATE: DataClass.NON_PUBLIC,
    CreditCategory.IMPORT_EXPORT: DataClass.NON_PUBLIC,
    CreditCategory.INTELLECTUAL_PROPERTY: DataClass.NON_PUBLIC,
    CreditCategory.RESEARCH: DataClass.NON_PUBLIC,
}


class RecordStatus(StrEnum):
    NORMAL = "正常"
    DISPUTED = "异议处理中"


class EvaluationGrade(StrEnum):
    """基础性信用评价 grade, best first."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"

    @property
    def rank(self) -> int:
        return list(EvaluationGrade).index(self)


class TaxCreditGrade(StrEnum):
    """纳税信用等级, best first. M is the grade for new or small-turnover taxpayers and ranks
    between B and C."""

    A = "A"
    B = "B"
    M = "M"
    C = "C"
    D = "D"

    @property
    def rank(self) -> int:
        return list(TaxCreditGrade).index(self)


class GuaranteeType(StrEnum):
    CREDIT = "信用"
    GUARANTEE = "担保"
    COLLATERAL = "抵押"


class EnterpriseScale(StrEnum):
    """划型 by the MIIT SME classification; individual businesses count as 微型."""

    MICRO = "微型"
    SMALL = "小型"
    MEDIUM = "中型"


class EnterpriseTag(StrEnum):
    SPECIALIZED = "专精特新"
    GREEN = "绿色"
    GOV_PROCUREMENT = "政府采购中标"
    HIGH_TECH = "高新技术企业"
    TECH_SME = "科技型中小企业"
    DIGITAL = "智改数转"


class DataCategory(StrEnum):
    """授权共享的非公开数据类别: what an enterprise's authorization can open to an institution.
    Each maps to the non-public credit-record categories it covers (DATA_CATEGORY_RECORDS)."""

    TAX = "纳税"
    SOCIAL_INSURANCE = "社保"
    HOUSING_FUND = "公积金"
    UTILITIES = "水电气"
    REAL_ESTATE = "不动产"
    IMPORT_EXPORT = "进出口"
    INTELLECTUAL_PROPERTY = "知识产权"
    RESEARCH = "科技研发"


DATA_CATEGORY_RECORDS: dict[DataCategory, tuple[CreditCategory, ...]] = {
    DataCategory.TAX: (CreditCategory.TAX_CREDIT_GRADE,),
    DataCategory.SOCIAL_INSURANCE: (CreditCategory.SOCIAL_INSURANCE_ARREARS,),
    DataCategory.HOUSING_FUND: (CreditCategory.HOUSING_FUND_ARREARS,),
    DataCategory.UTILITIES: (CreditCategory.UTILITY_ARREARS,),
    DataCategory.REAL_ESTATE: (CreditCategory.REAL_ESTATE,),
    DataCategory.IMPORT_EXPORT: (CreditCategory.IMPORT_EXPORT,),
    DataCategory.INTELLECTUAL_PROPERTY: (CreditCategory.INTELLECTUAL_PROPERTY,),
    DataCategory.RESEARCH: (CreditCategory.RESEARCH,),
}


# The platform's own hotline service desk (平台服务台) as a party an authorization can name, beside
# the institutions. It is not an 接入机构 and has no institution row: an authorization of "all
# institutions" does not cover it, so hotline staff see an enterprise's non-public data only where
# the enterprise named the service desk itself.
SERVICE_DESK_CODE = "platform_service_desk"
SERVICE_DESK_NAME = "平台服务台（热线坐席）"


class AuthorizationStatus(StrEnum):
    ACTIVE = "有效"
    REVOKED = "已撤回"
    EXPIRED = "已过期"


class ApplicationStatus(StrEnum):
    """产品申请 status: 已提交 → 机构受理 → 已审批/未通过 → 已放款 (only after 已审批)."""

    SUBMITTED = "已提交"
    ACCEPTED = "机构受理"
    APPROVED = "已审批"
    REJECTED = "未通过"
    DISBURSED = "已放款"

    @property
    def is_active(self) -> bool:
        """An active application blocks a second one for the same product."""
        return self in (
            ApplicationStatus.SUBMITTED,
            ApplicationStatus.ACCEPTED,
            ApplicationStatus.APPROVED,
        )


class StaffRole(StrEnum):
    """Platform staff: hotline agents (热线坐席) and administrators, who also run events."""

    AGENT = "坐席"
    ADMIN = "管理员"
