"""python -m app.seed [--enterprises N] [--seed S] [--as-of YYYY-MM-DD] [--batch-size B]

Loads the demo city into the database named by DATABASE_URL. Running it again on a loaded
database reports what is there and changes nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import date

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from tqdm import tqdm

from app.city import CityConfigError, load_city
from app.core.config import get_settings
from app.core.db import create_db_engine
from app.seed.demo import DEMO_ENTERPRISES
from app.seed.institutions import describe_institution_tokens, seed_institution_tokens
from app.seed.loader import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_ENTERPRISES,
    DEFAULT_SEED,
    loaded_state,
    migration_problem,
    seed_city,
)
from app.seed.staff import describe_demo_staff, seed_demo_staff


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("必须是正整数")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m app.seed", description="载入示范城市数据")
    parser.add_argument(
        "--enterprises",
        type=_positive,
        default=DEFAULT_ENTERPRISES,
        help=f"登记主体数量，含 {len(DEMO_ENTERPRISES)} 家固定示范企业（默认 %(default)s）",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="随机种子（默认 %(default)s）"
    )
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        help="数据基准日 YYYY-MM-DD，记录日期以此倒推（默认今天）",
    )
    parser.add_argument(
        "--batch-size", type=_positive, default=DEFAULT_BATCH_SIZE, help="每批写入行数"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.enterprises < len(DEMO_ENTERPRISES):
        print(f"--enterprises 至少为 {len(DEMO_ENTERPRISES)}（固定示范企业数）", file=sys.stderr)
        return 2
    settings = get_settings()
    try:
        city = load_city(settings.city_config)
    except CityConfigError as exc:
        print(exc, file=sys.stderr)
        return 1

    target = make_url(settings.database_url).render_as_string(hide_password=True)
    engine = create_db_engine(settings.database_url)
    try:
        problem = migration_problem(engine)
        if problem:
            print(problem, file=sys.stderr)
            return 1
        with Session(engine) as session:
            staff = seed_demo_staff(session)
            session.commit()
            state = loaded_state(session)
            if state is not None:
                print(
                    f"示范城市「{city.city_name}」已载入（登记主体 {state.entities} 家、"
                    f"机构 {state.institutions} 家、产品 {state.products} 个），本次未做任何更改。"
                )
                institution_tokens = seed_institution_tokens(session)
                session.commit()
                print("\n".join(describe_demo_staff(staff)))
                print("\n".join(describe_institution_tokens(institution_tokens)))
                return 0

            print(f"载入示范城市「{city.city_name}」到 {target}", flush=True)
            started = time.monotonic()
            with tqdm(total=args.enterprises, desc="  登记主体", unit="家", unit_scale=True) as bar:
                report = seed_city(
                    session,
                    city,
                    enterprises=args.enterprises,
                    seed=args.seed,
                    as_of=args.as_of,
                    batch_size=args.batch_size,
                    progress=lambda message: tqdm.write(f"  {message}", file=sys.stdout),
                    on_batch=lambda entities, _records: bar.update(entities),
                )
            print(f"  登记主体 {report.entities}/{args.enterprises}，信用记录 {report.records} 条")
            institution_tokens = seed_institution_tokens(session)
            session.commit()
    except SQLAlchemyError as exc:
        print(f"数据库操作失败，未写入任何数据：{exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()

    print(
        f"完成（{time.monotonic() - started:.1f} 秒）：登记主体 {report.entities} 家"
        f"（其中白名单 {report.white_listed} 家），信用记录 {report.records} 条，"
        f"信用评价 {report.evaluations} 条。"
    )
    print("示范企业（实名注册演示用）：")
    for demo in DEMO_ENTERPRISES:
        kind = "个体工商户" if demo.is_individual_business else "企业"
        print(
            f"  {demo.name}  {demo.uscc}  法定代表人/经营者：{demo.legal_representative}（{kind}）"
        )
    print("\n".join(describe_demo_staff(staff)))
    print("\n".join(describe_institution_tokens(institution_tokens)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
