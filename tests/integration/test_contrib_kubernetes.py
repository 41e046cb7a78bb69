"""test_contrib_kubernetes.py: the manifests of contrib/kubernetes parse and
agree: the app and its proxy sidecar share the socket on one emptyDir, the
proxy's certificate is the TLS Secret's, probes and the Service use the
proxy's port, the autoscaler scales the Deployment, and the Pod runs as the
image's user."""
import glob
import os
import re

import yaml

from contrib_install import CONTRIB

K8S = os.path.join(CONTRIB, "kubernetes")


def docs():
    out = {}
    for path in sorted(glob.glob(os.path.join(K8S, "*.yaml"))):
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                out[doc["kind"]] = doc
    return out


def pod():
    return docs()["Deployment"]["spec"]["template"]["spec"]


def container(name):
    (c,) = [c for c in pod()["containers"] if c["name"] == name]
    return c


def flag(argv, name):
    assert argv.count(name) == 1, (name, argv)
    return argv[argv.index(name) + 1]


def mount_of(c, volume):
    (m,) = [m for m in c["volumeMounts"] if m["name"] == volume]
    return m["mountPath"]


def volume(name):
    (v,) = [v for v in pod()["volumes"] if v["name"] == name]
    return v


def test_every_manifest_parses_and_kustomize_lists_it():
    d = docs()
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "Kustomization"} <= set(d)
    listed = set(d["Kustomization"]["resources"])
    on_disk = {os.path.basename(p) for p in glob.glob(os.path.join(K8S, "*.yaml"))}
    assert listed == on_disk - {"kustomization.yaml"}


def test_app_and_proxy_share_the_socket_on_an_emptydir():
    app, proxy = container("app"), container("proxy")
    assert app["command"] == ["tandem-appd"]
    assert proxy["command"][-1] == "tandem-proxy" and "exec tandem-proxy" in proxy["command"][2]
    bind = flag(app["args"], "--bind")
    assert flag(proxy["args"], "--upstream") == bind
    path = bind[len("unix:"):]
    assert mount_of(app, "socket") == mount_of(proxy, "socket") == os.path.dirname(path)
    assert volume("socket") == {"name": "socket", "emptyDir": {}}
    # The proxy waits for that very socket file before it starts.
    assert "[ -S %s ]" % path in proxy["command"][2]
    # appd's probes connect to it.
    for probe in ("readinessProbe", "livenessProbe"):
        assert "'%s'" % path in " ".join(app[probe]["exec"]["command"])


def test_proxy_certificate_is_the_tls_secret():
    proxy = container("proxy")
    secret = volume("tls")["secret"]["secretName"]
    gen = docs()["Kustomization"]["secretGenerator"]
    (tls,) = [g for g in gen if g["name"] == secret]
    assert tls["type"] == "kubernetes.io/tls"
    keys = {f.split("=")[0] for f in tls["files"]}
    assert keys == {"tls.crt", "tls.key"}
    where = mount_of(proxy, "tls")
    assert flag(proxy["args"], "--certfile") == where + "/tls.crt"
    assert flag(proxy["args"], "--keyfile") == where + "/tls.key"


def test_probes_and_service_use_the_proxy_ports():
    proxy = container("proxy")
    port = int(flag(proxy["args"], "--bind").rsplit(":", 1)[1])
    admin = int(flag(proxy["args"], "--admin-bind").rsplit(":", 1)[1])
    p, a = proxy["ports"]
    assert p["containerPort"] == port and a["containerPort"] == admin
    # The kubelet probes the admin listener: ready with room, alive.
    assert proxy["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": a["name"]}
    assert proxy["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": a["name"]}
    # It listens on the pod's address, which the proxy refuses unless told.
    assert "--admin-allow-remote" in proxy["args"]
    svc = docs()["Service"]
    (sp,) = svc["spec"]["ports"]
    assert sp["port"] == 443 and sp["targetPort"] in (p["name"], port)
    labels = docs()["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert svc["spec"]["selector"].items() <= labels.items()
    assert docs()["Deployment"]["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_service_does_not_expose_the_admin_listener():
    with open(os.path.join(K8S, "deployment.yaml")) as f:
        text = f.read()
    assert "issue 13" not in text  # no promise of a future admin listener is left
    (sp,) = docs()["Service"]["spec"]["ports"]
    assert sp["targetPort"] not in ("admin", 9000)


def test_autoscaler_scales_the_deployment_by_cpu():
    hpa, dep = docs()["HorizontalPodAutoscaler"], docs()["Deployment"]
    ref = hpa["spec"]["scaleTargetRef"]
    assert (ref["kind"], ref["name"]) == ("Deployment", dep["metadata"]["name"])
    assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    (m,) = hpa["spec"]["metrics"]
    assert m["resource"]["name"] == "cpu"
    # Utilization targets need a CPU request on every container.
    for c in pod()["containers"]:
        assert c["resources"]["requests"]["cpu"]


def test_pod_runs_as_the_images_user():
    with open(os.path.join(CONTRIB, "docker", "Dockerfile")) as f:
        text = f.read()
    uid = int(re.search(r"useradd --system --uid (\d+)", text).group(1))
    gid = int(re.search(r"groupadd --system --gid (\d+)", text).group(1))
    sc = pod()["securityContext"]
    assert (sc["runAsUser"], sc["runAsGroup"], sc["fsGroup"]) == (uid, gid, gid)
    assert volume("tls")["secret"]["defaultMode"] == 0o440
    assert pod()["terminationGracePeriodSeconds"] > 30      # --graceful-timeout
