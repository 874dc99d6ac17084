"""Static checks of the production profile: docker-compose.yml, docker/*, .dockerignore and
bot/endpoints.production.yml.

Docker cannot run where these tests run, so what a container would only find out at start-up is
checked from the files: that every path the profile names exists in the repository, that the images
derive from the pinned Rasa images and provide every package the code imports, that secrets come
only from required variables, and that nginx publishes nothing but the public paths.
"""

from __future__ import annotations

import ast
import itertools
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENDPOINTS_FILE = ROOT / "bot" / "endpoints.production.yml"
CREDENTIALS_FILE = ROOT / "bot" / "credentials.yml"
NGINX_CONF = ROOT / "docker" / "nginx.conf"
ENV_EXAMPLE = ROOT / "docker" / "production.env.example"
BOT_LOCK = ROOT / "requirements" / "bot.lock.txt"

RASA_BASE_IMAGE = "rasa/rasa:3.6.21-full"
ACTIONS_BASE_IMAGE = "rasa/rasa-sdk:3.6.2"
BACKEND_BASE_IMAGE = "python:3.11-slim"
REQUIRED_SERVICES = {"rasa", "actions", "backend", "postgres", "redis"}
REPLICATED_SERVICES = {"rasa", "actions"}
# Produced by `make model` (git-ignored), so not in a fresh checkout: the image build needs it.
BUILD_ARTEFACTS = {"models"}

# Variables and environment keys that hold a secret.
SECRET_NAME = re.compile(r"(PASSWORD|TOKEN|SECRET|_KEY|_AUTH)$")
# Compose interpolation: ${VAR}, ${VAR:-default}, ${VAR:?message}; `$$` escapes a dollar.
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)((?::?[-?+])[^}]*)?\}")
REQUIRED_INTERPOLATION = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*):\?[^}]+\}$")
# Rasa expands ${VAR} (os.path.expandvars, no defaults) in endpoints and credentials files.
RASA_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


# ------------------------------------------------------------------------------ compose helpers


@cache
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def environment(service: str) -> dict[str, str]:
    env = services()[service].get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def strings(node: Any) -> list[str]:
    """Every string (keys included) of a loaded YAML document."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in strings(key) + strings(value)]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return []


def interpolations() -> list[tuple[str, str, str]]:
    """(variable, operator and argument, string) for each interpolation of the compose file."""
    return [
        (match[1], match[2] or "", text)
        for text in strings(compose())
        for match in INTERPOLATION.finditer(text)
    ]


def resolve_defaults(value: str) -> str:
    """A compose value with every ${VAR:-default} replaced by its default."""
    return INTERPOLATION.sub(
        lambda m: (m[2] or "")[2:] if (m[2] or "").startswith(":-") else "", value
    )


def command(service: str) -> list[str]:
    cmd = services()[service].get("command")
    return cmd.split() if isinstance(cmd, str) else list(cmd or [])


def build(service: str) -> tuple[Path, Path]:
    spec = services()[service]["build"]
    if isinstance(spec, str):
        spec = {"context": spec}
    context = (ROOT / spec.get("context", ".")).resolve()
    return context, (context / spec.get("dockerfile", "Dockerfile")).resolve()


# ---------------------------------------------------------------------------- Dockerfile parser


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def copies(self) -> list[tuple[list[str], str, dict[str, str]]]:
        """(sources, destination, flags) of every COPY/ADD of the stage."""
        result = []
        for keyword, args in self.instructions:
            if keyword not in {"COPY", "ADD"}:
                continue
            words = args.split()
            flags = dict(w[2:].split("=", 1) for w in words if w.startswith("--") and "=" in w)
            paths = [w for w in words if not w.startswith("--")]
            result.append((paths[:-1], paths[-1], flags))
        return result

    def workdir(self) -> str:
        workdir = "/"
        for keyword, args in self.instructions:
            if keyword == "WORKDIR":
                workdir = str(PurePosixPath(workdir, args.strip()))
        return workdir

    def arg_default(self, name: str) -> str:
        for keyword, args in self.instructions:
            if keyword == "ARG" and args.startswith(f"{name}="):
                return args.split("=", 1)[1].strip().strip('"')
        raise AssertionError(f"no ARG {name} with a default")


@cache
def dockerfile(path: Path) -> list[Stage]:
    text = path.read_text(encoding="utf-8")
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    stages: list[Stage] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name))
        else:
            assert stages, f"{path}: {keyword} before FROM"
            stages[-1].instructions.append((keyword, args.strip()))
    assert stages, f"{path} has no FROM"
    return stages


def dockerfiles() -> dict[str, Path]:
    return {name: build(name)[1] for name, spec in services().items() if "build" in spec}


def container_to_repo(service: str, container_path: str) -> Path | None:
    """The repository path that the final stage of the service's image copies to container_path
    (relative paths are taken from the final WORKDIR); None when it comes from another stage."""
    final = dockerfile(build(service)[1])[-1]
    target = PurePosixPath(final.workdir(), container_path)
    for sources, dest, flags in reversed(final.copies()):
        dest_path = PurePosixPath(dest)
        if len(sources) != 1 or not (target == dest_path or dest_path in target.parents):
            continue
        if "from" in flags:
            return None
        return ROOT / sources[0].rstrip("/") / target.relative_to(dest_path)
    raise AssertionError(f"{service}: nothing in its image is copied to {target}")


# ------------------------------------------------------------------------------- .dockerignore


def _ignore_regex(pattern: str) -> re.Pattern[str]:
    pattern = pattern.strip("/")
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    # an excluded directory takes its contents with it
    return re.compile(out + "(?:/.*)?$")


def dockerignored(relative: str) -> bool:
    """Whether the build context (the repository root) leaves this path out, as Docker decides:
    the last matching pattern wins, `!` re-includes."""
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    excluded = False
    for line in (item.strip() for item in lines):
        if not line or line.startswith("#"):
            continue
        if _ignore_regex(line.removeprefix("!")).match(relative.strip("/")):
            excluded = not line.startswith("!")
    return excluded


# ------------------------------------------------------------------- locked packages and imports


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.split("[")[0]).lower()


@cache
def bot_lock() -> tuple[dict[str, str], dict[str, set[str]]]:
    """Versions of requirements/bot.lock.txt and, from its `# via` notes, each package's dependents
    turned around: parent -> the packages it pulls in."""
    versions: dict[str, str] = {}
    children: dict[str, set[str]] = defaultdict(set)
    current = None
    for line in BOT_LOCK.read_text(encoding="utf-8").splitlines():
        pinned = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==(\S+)", line)
        if pinned:
            current = normalize(pinned[1])
            versions[current] = pinned[3]
            continue
        note = line.strip().lstrip("#").strip()
        if current is None or not line.startswith("    #") or not note:
            continue
        parent = note.removeprefix("via").strip()
        if parent and not parent.startswith("-"):
            children[normalize(parent)].add(current)
    return versions, children


def installed(roots: set[str]) -> set[str]:
    """The roots and everything the lock says they pull in."""
    _, children = bot_lock()
    seen: set[str] = set()
    todo = [normalize(root) for root in roots]
    while todo:
        package = todo.pop()
        if package not in seen:
            seen.add(package)
            todo.extend(children.get(package, ()))
    return seen


# Distributions whose import name is not their name with `-` turned into `_`.
IMPORT_NAMES = {
    "absl-py": {"absl"},
    "attrs": {"attr", "attrs"},
    "dnspython": {"dns"},
    "google-auth": {"google"},
    "protobuf": {"google"},
    "psycopg2-binary": {"psycopg2"},
    "pyjwt": {"jwt"},
    "pymongo": {"pymongo", "bson", "gridfs"},
    "python-crfsuite": {"pycrfsuite"},
    "python-dateutil": {"dateutil"},
    "python-engineio": {"engineio"},
    "python-socketio": {"socketio"},
    "pyyaml": {"yaml"},
    "ruamel-yaml": {"ruamel"},
    "scikit-learn": {"sklearn"},
    "pillow": {"PIL"},
}


def importable(packages: set[str]) -> set[str]:
    return {
        module
        for package in packages
        for module in IMPORT_NAMES.get(package, {package.replace("-", "_")})
    }


def _guarded(tree: ast.AST) -> set[int]:
    """Nodes under `if TYPE_CHECKING:` or in a `try:` that handles ImportError."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        body: list[ast.stmt] = []
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
            if name == "TYPE_CHECKING":
                body = node.body
        elif isinstance(node, ast.Try):
            caught = {ast.unparse(handler.type) for handler in node.handlers if handler.type}
            if caught & {"ImportError", "ModuleNotFoundError"}:
                body = node.body
        guarded |= {id(inner) for stmt in body for inner in ast.walk(stmt)}
    return guarded


def python_files(package: str) -> list[Path]:
    return sorted(
        path for path in (ROOT / package).rglob("*.py") if "__pycache__" not in path.parts
    )


def third_party_imports(package: str, first_party: set[str]) -> dict[str, list[str]]:
    """Top-level modules imported by the package's code, outside the standard library."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in python_files(package):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        guarded = _guarded(tree)
        for node in ast.walk(tree):
            if id(node) in guarded:
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in first_party:
                    found[top].append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def required_environment(package: str) -> dict[str, str]:
    """Variables the package's code reads as os.environ["NAME"] (no default): name -> place."""
    found = {}
    for path in python_files(package):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.ctx, ast.Load)
                and ast.unparse(node.value) == "os.environ"
                and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, str)
            ):
                found[node.slice.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


# ------------------------------------------------------------------------------------ services


def test_compose_spec_services() -> None:
    assert "version" not in compose(), "the compose spec has no `version:` key"
    missing = REQUIRED_SERVICES - set(services())
    assert not missing, f"services missing from docker-compose.yml: {sorted(missing)}"


@pytest.mark.parametrize("service", sorted(REQUIRED_SERVICES | {"nginx"}))
def test_every_service_has_a_healthcheck(service: str) -> None:
    check = services()[service].get("healthcheck")
    assert check, f"{service} has no healthcheck"
    assert not check.get("disable"), f"{service} disables its healthcheck"
    test = check.get("test")
    assert test and test[0] in {"CMD", "CMD-SHELL"}, f"{service}: healthcheck.test {test!r}"


@pytest.mark.parametrize(
    ("service", "probe"),
    [
        ("rasa", "http://127.0.0.1:5005/"),
        ("actions", "http://127.0.0.1:5055/health"),
        ("backend", "http://127.0.0.1:8000/health"),
        ("postgres", "pg_isready"),
        ("redis", "redis-cli ping"),
    ],
)
def test_healthchecks_probe_the_service(service: str, probe: str) -> None:
    test = services()[service]["healthcheck"]["test"]
    assert any(probe in part for part in test), f"{service}: {test!r} does not run {probe}"


def test_all_services_have_healthchecks_and_wait_for_healthy_dependencies() -> None:
    for name, spec in services().items():
        assert spec.get("healthcheck"), f"{name} has no healthcheck"
        depends = spec.get("depends_on") or {}
        assert isinstance(depends, dict), f"{name}: depends_on must name a condition"
        for dependency, rule in depends.items():
            assert dependency in services(), f"{name} depends on unknown {dependency}"
            assert rule.get("condition") == "service_healthy", f"{name} -> {dependency}: {rule}"
    expected = {
        "rasa": {"postgres", "redis"},
        "actions": {"backend"},
        "backend": {"postgres"},
        "nginx": {"rasa", "backend"},
    }
    for name, dependencies in expected.items():
        assert dependencies <= set(services()[name].get("depends_on") or {}), name


def test_replicated_services_publish_no_fixed_port() -> None:
    for name in REPLICATED_SERVICES:
        spec = services()[name]
        assert spec.get("deploy", {}).get("replicas", 1) >= 2, f"{name}: deploy.replicas < 2"
        assert "container_name" not in spec, f"{name}: container_name forbids replicas"
    published = {name for name, spec in services().items() if spec.get("ports")}
    assert published == {"nginx"}, f"only nginx publishes a host port, not {published}"


# ---------------------------------------------------------------------------- images and files


def test_rasa_image_derives_from_rasa_full() -> None:
    stages = dockerfile(build("rasa")[1])
    assert stages[-1].base == RASA_BASE_IMAGE, stages[-1].base
    names = {stage.name for stage in stages if stage.name}
    for stage in stages:
        assert stage.base in {RASA_BASE_IMAGE} | names, f"rasa image stage from {stage.base}"


@pytest.mark.parametrize(
    ("service", "base"), [("actions", ACTIONS_BASE_IMAGE), ("backend", BACKEND_BASE_IMAGE)]
)
def test_images_derive_from_their_pinned_bases(service: str, base: str) -> None:
    stages = dockerfile(build(service)[1])
    assert stages[-1].base == base
    names = {stage.name for stage in stages if stage.name}
    assert all(stage.base in {base} | names for stage in stages), service


def test_build_contexts_and_dockerfiles_exist() -> None:
    for name, spec in services().items():
        if "build" not in spec:
            assert spec.get("image"), f"{name} has neither build nor image"
            continue
        context, path = build(name)
        assert context.is_dir(), f"{name}: build context {context} does not exist"
        assert path.is_file(), f"{name}: dockerfile {path} does not exist"
        assert ROOT in [context, *context.parents], f"{name}: context outside the repository"


def test_files_copied_into_images_exist_and_are_in_the_build_context() -> None:
    for service, path in dockerfiles().items():
        context = build(service)[0]
        for stage in dockerfile(path):
            for sources, _dest, flags in stage.copies():
                if "from" in flags:
                    continue
                for source in sources:
                    relative = source.strip("/")
                    assert not dockerignored(relative), f"{path.name}: .dockerignore drops {source}"
                    if relative.split("/")[0] in BUILD_ARTEFACTS:
                        continue
                    assert (context / relative).exists(), f"{path.name}: COPY {source} is missing"


def test_bind_mounts_env_files_and_configs_exist() -> None:
    for name, spec in services().items():
        for volume in spec.get("volumes") or []:
            if isinstance(volume, str):
                source = volume.split(":")[0]
                is_bind = source.startswith((".", "/", "~"))
            else:
                source, is_bind = volume.get("source", ""), volume.get("type") == "bind"
            if is_bind:
                assert (ROOT / source).exists(), f"{name}: bind mount {source} does not exist"
        env_files = spec.get("env_file") or []
        for env_file in [env_files] if isinstance(env_files, str | dict) else env_files:
            file_path = env_file if isinstance(env_file, str) else env_file["path"]
            assert (ROOT / file_path).is_file(), f"{name}: env_file {file_path} does not exist"
        for config in spec.get("configs") or []:
            source = config if isinstance(config, str) else config["source"]
            assert source in (compose().get("configs") or {}), f"{name}: unknown config {source}"
    for section in ("configs", "secrets"):
        for name, spec in (compose().get(section) or {}).items():
            if "file" in spec:
                assert (ROOT / spec["file"]).is_file(), f"{section}.{name}: {spec['file']} missing"


def test_dockerignore_keeps_environments_state_and_secrets_out() -> None:
    for path in [
        ".git/config",
        ".venv-bot/bin/python",
        ".venv-backend/bin/python",
        "var/xinyidai.db",
        ".rasa/cache/x",
        ".env",
        "bot/__pycache__/x.pyc",
        "models/cache/x",
    ]:
        assert dockerignored(path), f".dockerignore lets {path} into the build context"
    for path in [
        "models/current.tar.gz",
        "models/xinyidai-0123456789abcdef.tar.gz",
        "bot/credentials.yml",
        "requirements/bot.lock.txt",
        "docker/backend-start.sh",
    ]:
        assert not dockerignored(path), f".dockerignore drops {path}"


# --------------------------------------------------------------------------------------- secrets


def test_secrets_come_only_from_required_variables() -> None:
    for variable, operator, _ in interpolations():
        if SECRET_NAME.search(variable):
            assert operator.startswith(":?"), f"${{{variable}}} must be ${{{variable}:?message}}"
    for name in services():
        for key, value in environment(name).items():
            if SECRET_NAME.search(key):
                assert REQUIRED_INTERPOLATION.match(value), f"{name}: {key} is not ${{VAR:?...}}"
    for text in strings(compose()):
        for password in re.findall(r"://[^:/@\s]+:([^@\s]+)@", text):
            assert REQUIRED_INTERPOLATION.match(password), f"literal password in {text!r}"
    for name in services():
        args = command(name)
        for flag, value in itertools.pairwise(args):
            if flag in {"--requirepass", "--auth-token", "--password"}:
                assert REQUIRED_INTERPOLATION.match(value), f"{name}: {flag} {value!r}"


def test_env_example_names_every_variable() -> None:
    example = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            example[key.strip()] = value.strip()
    used = {variable for variable, _, _ in interpolations()}
    missing = used - set(example)
    assert not missing, f"{ENV_EXAMPLE.name} does not list {sorted(missing)}"
    for variable, operator, _ in interpolations():
        if operator.startswith(":?") or SECRET_NAME.search(variable):
            assert example[variable] == "", f"{ENV_EXAMPLE.name} must leave {variable} empty"


# ---------------------------------------------------------------------------------- Rasa service


@cache
def endpoints() -> dict[str, Any]:
    return yaml.safe_load(ENDPOINTS_FILE.read_text(encoding="utf-8"))


def test_endpoints_use_postgresql_tracker_store_and_redis_lock_store() -> None:
    tracker = endpoints()["tracker_store"]
    # Rasa's SQL tracker store, subclassed only to seal personal data (bot/tracker_store.py).
    assert tracker["type"] == "bot.tracker_store.ProtectedSQLTrackerStore"
    assert (ROOT / "bot" / "tracker_store.py").is_file()
    assert tracker["dialect"] == "postgresql"
    for key in ("url", "db", "username", "password"):
        assert RASA_VARIABLE.fullmatch(str(tracker[key])), f"tracker_store.{key}: {tracker[key]}"
    lock = endpoints()["lock_store"]
    assert lock["type"] == "redis"
    for key in ("url", "port", "password", "db"):
        assert RASA_VARIABLE.fullmatch(str(lock[key])), f"lock_store.{key}: {lock[key]}"
    assert str(lock.get("key_prefix", "x")).isalnum(), "Rasa requires an alphanumeric key_prefix"
    assert endpoints()["action_endpoint"]["url"] == "${ACTION_ENDPOINT_URL}"
    assert endpoints().get("event_broker") is None


@pytest.mark.parametrize("path", [ENDPOINTS_FILE, CREDENTIALS_FILE], ids=lambda p: p.name)
def test_rasa_environment_sets_every_variable_of_its_config_files(path: Path) -> None:
    """Rasa stops at start-up on an unset ${VAR} in endpoints or credentials."""
    env = environment("rasa")
    values = strings(yaml.safe_load(path.read_text(encoding="utf-8")))
    for variable in {found for value in values for found in RASA_VARIABLE.findall(value)}:
        assert variable in env, f"{path.name} uses ${{{variable}}}, unset in the rasa service"


def test_rasa_command_points_at_files_in_the_image() -> None:
    args = command("rasa")
    assert args[0] == "run" and "--enable-api" in args
    options = dict(itertools.pairwise(args))
    assert options["--port"] == "5005"
    assert REQUIRED_INTERPOLATION.match(options["--auth-token"]).group(1) == "RASA_TOKEN"
    assert options["--endpoints"] == "bot/endpoints.production.yml"
    for flag in ("--credentials", "--endpoints"):
        repo_path = container_to_repo("rasa", options[flag])
        assert repo_path is not None and repo_path.is_file(), f"{flag} {options[flag]}: {repo_path}"
    # The model is a build artefact: the image takes it from models/ of the build context.
    assert container_to_repo("rasa", options["--model"]) is None
    stages = dockerfile(build("rasa")[1])
    sources = [s.strip("/") for st in stages for srcs, _, fl in st.copies() if not fl for s in srcs]
    assert "models" in sources, "the rasa image must copy models/"


def test_rasa_image_carries_channels_and_nlu_data() -> None:
    for container_path in ("bot/channels/__init__.py", "nlu_data/jieba", "bot/config.yml"):
        repo_path = container_to_repo("rasa", container_path)
        assert repo_path is not None and repo_path.exists(), f"{container_path}: {repo_path}"
    final = dockerfile(build("rasa")[1])[-1]
    env = " ".join(args for keyword, args in final.instructions if keyword == "ENV")
    assert f"PYTHONPATH={final.workdir()}" in env, "bot.channels is imported from the image root"


@pytest.mark.parametrize(
    ("service", "argument", "roots", "first_party"),
    [
        ("rasa", "BOT_PACKAGES", {"rasa"}, {"bot"}),
        ("actions", "ACTION_PACKAGES", {"rasa-sdk"}, {"actions"}),
    ],
)
def test_images_provide_every_package_the_code_imports(
    service: str, argument: str, roots: set[str], first_party: set[str]
) -> None:
    final = dockerfile(build(service)[1])[-1]
    extra = set(final.arg_default(argument).split())
    versions, _ = bot_lock()
    for package in extra:
        assert normalize(package) in versions, f"{argument}: {package} is not in bot.lock.txt"
    available = importable(installed(roots | {normalize(p) for p in extra}))
    package_dir = "bot" if service == "rasa" else "actions"
    imports = third_party_imports(package_dir, first_party)
    missing = {module: places for module, places in imports.items() if module not in available}
    assert not missing, (
        f"{package_dir}/ imports {sorted(missing)} ({missing}), which the {service} image lacks: "
        f"add the package to {argument} in docker/{service}.Dockerfile (and to requirements/bot.in)"
    )


@pytest.mark.parametrize(("service", "package"), [("rasa", "bot"), ("actions", "actions")])
def test_services_set_every_variable_the_code_requires(service: str, package: str) -> None:
    env = environment(service)
    for variable, place in required_environment(package).items():
        assert variable in env, f"{place} reads os.environ[{variable!r}], unset for {service}"


def test_actions_and_rasa_agree_on_addresses() -> None:
    assert environment("rasa")["ACTION_ENDPOINT_URL"] == "http://actions:5055/webhook"
    assert environment("actions")["BACKEND_URL"] == "http://backend:8000"
    actions = dockerfile(build("actions")[1])[-1]
    cmd = next(args for keyword, args in actions.instructions if keyword == "CMD")
    assert '"--actions", "actions"' in cmd and '"5055"' in cmd, cmd
    assert (ROOT / "actions" / "__init__.py").is_file(), "the actions package"


# ------------------------------------------------------------------------------- backend service


def test_backend_migrates_then_serves_with_workers() -> None:
    # app.serve: uvicorn workers with a listening socket each (docs/backend.md).

    final = dockerfile(build("backend")[1])[-1]
    start_copy = [dest for srcs, dest, _ in final.copies() if "docker/backend-start.sh" in srcs]
    assert start_copy, "the backend image runs docker/backend-start.sh"
    cmd = next(args for keyword, args in final.instructions if keyword == "CMD")
    assert PurePosixPath(start_copy[0]).name in cmd
    script = (ROOT / "docker" / "backend-start.sh").read_text(encoding="utf-8")
    assert "alembic upgrade head" in script and "python -m app.serve" in script
    migrate = script.index("alembic upgrade head")
    serve = script.index("python -m app.serve")
    assert migrate < serve and "--workers" in script[serve:]
    assert final.workdir() == "/app/backend"
    for path in ("alembic.ini", "app/main.py"):
        repo_path = container_to_repo("backend", path)
        assert repo_path is not None and repo_path.is_file(), f"backend/{path}: {repo_path}"


def test_backend_settings_point_into_the_image() -> None:
    env = environment("backend")
    url = resolve_defaults(env["DATABASE_URL"])
    assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url, url
    assert REQUIRED_INTERPOLATION.match(env["SERVICE_TOKEN"])
    # Relative CITY_CONFIG paths are resolved against the repository root, /app in the image.
    city = resolve_defaults(env["CITY_CONFIG"])
    repo_path = container_to_repo("backend", str(PurePosixPath("/app", city)))
    assert repo_path is not None and repo_path.is_file(), f"CITY_CONFIG {city}: {repo_path}"


# ---------------------------------------------------------------------------------------- nginx


@cache
def nginx_locations() -> dict[tuple[str, str], str]:
    text = re.sub(r"#.*", "", NGINX_CONF.read_text(encoding="utf-8"))
    found = re.findall(r"location\s+(=|\^~|~\*?)?\s*(\S+)\s*\{([^{}]*)\}", text)
    return {(modifier, path): body for modifier, path, body in found}


def nginx_route(uri: str) -> str:
    """Where nginx sends a request: the upstream variable, or the status it returns."""
    locations = nginx_locations()
    assert all(modifier in {"", "=", "^~"} for modifier, _ in locations), "no regex locations"
    body = locations.get(("=", uri))
    if body is None:
        prefixes = [
            (path, b) for (mod, path), b in locations.items() if mod != "=" and uri.startswith(path)
        ]
        body = max(prefixes, key=lambda item: len(item[0]))[1]
    proxied = re.search(r"proxy_pass\s+(\S+);", body)
    if proxied:
        return proxied[1]
    return re.search(r"return\s+(\d+)", body)[1]


def test_nginx_publishes_only_webhooks_chat_and_console() -> None:
    text = NGINX_CONF.read_text(encoding="utf-8")
    upstreams = dict(re.findall(r"set\s+(\$\w+)\s+(\S+);", text))
    assert "resolver 127.0.0.11" in text, "re-resolve service names to reach every replica"

    def target(uri: str) -> str:
        route = nginx_route(uri)
        return upstreams.get(route, route)

    for uri in ("/webhooks/wechat/webhook", "/webhooks/h5/webhook"):
        assert target(uri) == "http://rasa:5005", uri
    for uri in ("/chat", "/chat/", "/chat/report/abc", "/console", "/console/login"):
        assert target(uri) == "http://backend:8000", uri
    for uri in (
        "/api/v1/bindings",
        "/api/v1",
        "/health",
        "/docs",
        "/",
        "/conversations/x/tracker",
        "/model",
        "/status",
        "/webhooks/rest/webhook",
        "/chatx",
    ):
        assert target(uri) == "404", f"{uri} must not be public"
    assert not any(path.startswith("/api") for _, path in nginx_locations())


def test_nginx_slows_staff_sign_in_and_keeps_internal_calls_out() -> None:
    text = re.sub(r"#.*", "", NGINX_CONF.read_text(encoding="utf-8"))
    zone = re.search(
        r"limit_req_zone\s+\$binary_remote_addr\s+zone=(\w+):\S+\s+rate=(\d+)r/m;", text
    )
    assert zone is not None and int(zone[2]) <= 10
    sign_in = nginx_locations()[("=", "/console/api/staff/sessions")]
    assert f"limit_req zone={zone[1]}" in sign_in
    assert nginx_route("/console/api/staff/sessions") == "$backend_upstream"
    assert "limit_req_status 429;" in text
    # The backend's call for events' WeChat codes and Rasa's REST channel stay internal.
    assert nginx_route("/webhooks/wechat/qrcodes") == "404"
    assert nginx_route("/webhooks/rest/webhook") == "404"
    assert nginx_route("/static/chat.js") == "$backend_upstream"
