from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.city import CityConfigError, load_city
from app.core.config import DEFAULT_CITY_CONFIG, REPO_ROOT, Settings
from app.enums import GuaranteeType

SEED_PRODUCTS = {"常信贷", "创新贷", "政采贷", "宁创贷", "数字贷", "成长贷", "苏碳融"}


def test_demo_city_loads() -> None:
    city = load_city(DEFAULT_CITY_CONFIG)
    assert city.city_name == "示范市"
    assert "信易贷" in city.platform_name
    assert city.hotline
    assert {p.name for p in city.products} >= SEED_PRODUCTS
    assert {p.guarantee_type for p in city.products} == set(GuaranteeType)
    for product in city.products:
        assert city.institution(product.institution).name


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "city.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _demo_data() -> dict:
    return yaml.safe_load(DEFAULT_CITY_CONFIG.read_text(encoding="utf-8"))


def test_unknown_institution_is_rejected(tmp_path: Path) -> None:
    data = _demo_data()
    data["products"][0]["institution"] = "nobody"
    with pytest.raises(CityConfigError, match="未定义的机构"):
        load_city(_write(tmp_path, data))


def test_misspelt_rule_is_rejected(tmp_path: Path) -> None:
    data = _demo_data()
    data["products"][0]["eligibility"]["min_year_in_business"] = 2
    with pytest.raises(CityConfigError):
        load_city(_write(tmp_path, data))


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CityConfigError, match="无法读取"):
        load_city(tmp_path / "missing.yml")


def test_relative_city_config_is_resolved_from_repo_root() -> None:
    settings = Settings(city_config=Path("config/city.demo.yml"), _env_file=None)  # type: ignore[call-arg]
    assert settings.city_config == REPO_ROOT / "config" / "city.demo.yml"
