"""The Kubernetes manifests under deploy/k8s/ parse, fit together and match the gateway's defaults.

No cluster is needed: these checks catch what a typo or a changed setting would break
(a probe on a path the gateway does not serve, a grace period shorter than the drain, a
backend URL naming no Service, an HPA metric no adapter rule provides). The YAML blocks of
docs/deploy.md that are whole manifests must equal the files, so the page cannot drift.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from jmedllm.core.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "deploy" / "k8s").rglob("*.yaml"))
NAMESPACE = "jmedllm"
REQUIRED = {
    "Namespace": [],
    "ConfigMap": ["data"],
    "Secret": ["type"],
    "Deployment": ["spec.selector.matchLabels", "spec.template.spec.containers"],
    "Service": ["spec.selector", "spec.ports"],
    "PodDisruptionBudget": ["spec.selector.matchLabels"],
    "HorizontalPodAutoscaler": [
        "spec.scaleTargetRef",
        "spec.minReplicas",
        "spec.maxReplicas",
        "spec.metrics",
    ],
    "ServiceMonitor": ["spec.selector.matchLabels", "spec.endpoints"],
    "NetworkPolicy": ["spec.podSelector", "spec.ingress"],
    "CronJob": ["spec.schedule", "spec.jobTemplate.spec.template.spec"],
    "Job": ["spec.template.spec.containers"],
    "PersistentVolumeClaim": ["spec.accessModes", "spec.resources.requests.storage"],
}


def _docs() -> list[dict[str, Any]]:
    docs = []
    for path in FILES:
        with path.open(encoding="utf-8") as stream:
            docs += [doc for doc in yaml.safe_load_all(stream) if doc is not None]
    return docs


DOCS = _docs()


def _get(doc: dict[str, Any], dotted: str) -> Any:
    value: Any = doc
    for part in dotted.split("."):
        assert isinstance(value, dict) and part in value, (
            f"{doc['kind']} {doc['metadata']['name']}: no {dotted}"
        )
        value = value[part]
    return value


def _one(kind: str, name: str) -> dict[str, Any]:
    found = [d for d in DOCS if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def _gateway_settings(tmp_path: Path) -> Settings:
    config = tmp_path / "jmedllm.yaml"
    config.write_text(_one("ConfigMap", "jmedllm-gateway-config")["data"]["jmedllm.yaml"], encoding="utf-8")
    return load_settings(config)


def _container_port(deployment: dict[str, Any], port: int | str) -> int:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    if isinstance(port, int):
        return port
    return next(p["containerPort"] for p in container["ports"] if p["name"] == port)


def test_every_manifest_parses_and_has_its_required_fields() -> None:
    assert FILES and DOCS
    names = set()
    for doc in DOCS:
        assert {"apiVersion", "kind", "metadata"} <= doc.keys()
        assert doc["kind"] in REQUIRED, f"unexpected kind {doc['kind']}"
        for field in REQUIRED[doc["kind"]]:
            _get(doc, field)
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") in (NAMESPACE, "monitoring")
        key = (doc["kind"], doc["metadata"]["name"], doc["metadata"].get("namespace"))
        assert key not in names, f"duplicate {key}"
        names.add(key)


def test_selectors_match_and_references_resolve() -> None:
    deployments = [d for d in DOCS if d["kind"] == "Deployment"]
    for deployment in deployments:
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert _selects(deployment["spec"]["selector"]["matchLabels"], labels)
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert container["image"] and "resources" in container
    for doc in DOCS:
        if doc["kind"] in ("Service", "PodDisruptionBudget"):
            selector = doc["spec"]["selector"]
            selector = selector.get("matchLabels", selector)
            targets = [
                d for d in deployments if _selects(selector, d["spec"]["template"]["metadata"]["labels"])
            ]
            assert targets, f"{doc['kind']} {doc['metadata']['name']} selects no Deployment"
            for port in doc["spec"].get("ports", []):
                for target in targets:
                    _container_port(target, port["targetPort"])  # a named port that exists
    hpa = _one("HorizontalPodAutoscaler", "jmedllm-gateway")
    assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
    _one("Deployment", hpa["spec"]["scaleTargetRef"]["name"])
    secret_keys = set(_one("Secret", "jmedllm-secrets")["stringData"])
    for text in map(yaml.safe_dump, DOCS):
        for key in re.findall(r"name: jmedllm-secrets\n\s*key: ([\w-]+)", text):
            assert key in secret_keys


def test_gateway_deployment_matches_the_gateways_settings_and_probes(tmp_path: Path) -> None:
    from jmedllm.serve.routes.health import router

    settings = _gateway_settings(tmp_path)
    serve = settings.serve
    assert serve.host == "0.0.0.0" and serve.workers == 1
    deployment = _one("Deployment", "jmedllm-gateway")
    spec = deployment["spec"]["template"]["spec"]
    container = spec["containers"][0]
    routes = {route.path for route in router.routes}  # type: ignore[attr-defined]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz" in routes
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz" in routes
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert _container_port(deployment, container[probe]["httpGet"]["port"]) == serve.port
    # The kubelet must not kill a pod that is still draining or finishing its streams, and
    # the readiness probe must notice the drain before the gateway stops accepting.
    assert spec["terminationGracePeriodSeconds"] >= serve.drain_seconds + serve.shutdown_timeout_s
    readiness = container["readinessProbe"]
    assert readiness["periodSeconds"] * readiness["failureThreshold"] <= serve.drain_seconds
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert container["args"][:1] == ["serve"] and "/etc/jmedllm/jmedllm.yaml" in container["args"]
    env = {item["name"] for item in container["env"]}
    assert {"JMEDLLM_DATABASE_URL", "JMEDLLM_SECRET_KEY", "JMEDLLM_REDIS_URL"} <= env
    service = _one("Service", "jmedllm-gateway")
    assert _container_port(deployment, service["spec"]["ports"][0]["targetPort"]) == serve.port


def test_backends_point_at_the_model_servers_with_canary_weights(tmp_path: Path) -> None:
    settings = _gateway_settings(tmp_path)
    backends = [b for model in settings.models for b in model.backends]
    assert [b.weight for b in backends] == [95, 5]
    for backend in backends:
        assert backend.type == "openai" and backend.base_url
        url = urlsplit(backend.base_url)
        name, namespace = (url.hostname or "").split(".")[:2]
        assert namespace == NAMESPACE
        service = _one("Service", name)
        assert url.port == service["spec"]["ports"][0]["port"]
        deployment = next(
            d
            for d in DOCS
            if d["kind"] == "Deployment"
            and _selects(service["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
        )
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["resources"]["limits"]["nvidia.com/gpu"]
        assert f"--served-model-name={backend.model}" in container["args"]


def test_autoscaling_metrics_exist_in_the_gateway_and_the_adapter() -> None:
    from jmedllm.serve.metrics import GatewayMetrics

    metrics = GatewayMetrics()
    metrics.requests.labels("/v1/chat/completions", "m", "200").inc()
    metrics.queue_depth.labels("m", "b").set(0)
    exported = {sample.name for family in metrics.registry.collect() for sample in family.samples}
    adapter = yaml.safe_load(_one("ConfigMap", "prometheus-adapter")["data"]["config.yaml"])
    provided = {}
    for rule in adapter["rules"]:
        series = re.match(r"\w+", rule["seriesQuery"])
        assert series and series.group(0) in exported, f"the gateway exports no {rule['seriesQuery']}"
        provided[rule["name"]["as"]] = series.group(0)
    hpa = _one("HorizontalPodAutoscaler", "jmedllm-gateway")
    asked = [m["pods"]["metric"]["name"] for m in hpa["spec"]["metrics"] if m["type"] == "Pods"]
    assert set(asked) == {"jmedllm_requests_per_second", "jmedllm_backend_queue_depth"} <= provided.keys()


def test_the_backup_cronjob_runs_the_tested_command() -> None:
    from typer.testing import CliRunner

    from jmedllm.cli import app

    cron = _one("CronJob", "jmedllm-backup")
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    script = yaml.safe_dump(cron)
    assert "jmedllm admin backup -o" in script and ".manifest.json" in script
    for command in (["admin", "backup", "--help"], ["admin", "restore", "--help"]):
        assert CliRunner().invoke(app, command).exit_code == 0


def _doc_blocks() -> list[dict[str, Any]]:
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    blocks = []
    for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL):
        blocks += [doc for doc in yaml.safe_load_all(block) if isinstance(doc, dict) and "kind" in doc]
    return blocks


@pytest.mark.parametrize("doc", _doc_blocks(), ids=lambda d: f"{d['kind']}-{d['metadata']['name']}")
def test_manifests_shown_in_deploy_md_equal_the_files(doc: dict[str, Any]) -> None:
    assert doc == _one(doc["kind"], doc["metadata"]["name"])
