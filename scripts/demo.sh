#!/usr/bin/env bash
# The main job on an example: analyze examples/shop, then (as root) bring it up as a real lab,
# probe real connections between pods across nodes, and take it down again.
set -euo pipefail
cd "$(dirname "$0")/.."
podnet() { node dist/cli/main.js "$@"; }

echo "== analysis: who may reach whom on TCP/8080 (NetworkPolicy semantics, no root needed)"
podnet analyze -f examples/shop --port 8080
echo
echo "== why can't the debug pod reach the database?"
podnet explain -f examples/shop tools/debug data/db --port 5432

if [ "$(id -u)" -ne 0 ]; then echo; echo "(run as root to also bring the lab up)"; exit 0; fi
lab=demo$$
lab=${lab:0:11}
trap 'podnet down --name "$lab" >/dev/null 2>&1 || true' EXIT
echo
echo "== podnet up: 2 nodes, routed, real namespaces and processes"
# --dns-upstream none: names outside the cluster get SERVFAIL; the demo never asks the host's resolvers.
podnet up --name "$lab" --dns-upstream none -f examples/shop
podnet wait pods --all -A --for condition=Ready --timeout 60s --name "$lab" >/dev/null
podnet get pods -A -o wide --name "$lab"
echo
echo "== real packets, pod to pod across nodes"
ips=$(podnet get pods -A -o json --name "$lab" | node -e '
  const l = JSON.parse(require("fs").readFileSync(0, "utf8"));
  for (const p of l.items) console.log(p.metadata.namespace + "/" + p.metadata.name, p.status.podIP, p.spec.nodeName);')
echo "$ips"
api_ip=$(echo "$ips" | awk '/shop\/api-/{print $2; exit}')
web=$(echo "$ips" | awk '/shop\/web-/{print $1; exit}')
echo "-- $web -> api $api_ip:8080"
podnet exec --name "$lab" "$web" -- node -e "fetch('http://$api_ip:8080/hello').then(r => r.json()).then(j => console.log('answered by', j.pod, 'on', j.node, '- saw client', j.remoteAddress))"
echo
echo "== NetworkPolicy enforced: real probes between every pair of pods, beside the analysis above"
podnet matrix --name "$lab" --port 8080
echo
echo "== Services and DNS: the name api.shop resolves (cluster DNS) to the api ClusterIP, which spreads"
echo "   new connections over both api pods (nftables, kube-proxy style)"
podnet get svc -A --name "$lab"
vip=$(podnet get svc -n shop -o json --name "$lab" | node -e '
  const l = JSON.parse(require("fs").readFileSync(0, "utf8"));
  console.log(l.items.find((i) => i.metadata.name === "api").spec.clusterIP);')
podnet exec --name "$lab" "$web" -- node -e "
  const get = () => new Promise((ok) => require('http').get('http://api.shop/', { agent: false }, (r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => ok(JSON.parse(b))); }));
  (async () => { for (let i = 0; i < 6; i++) console.log('new connection to http://api.shop/ ($vip) ->', (await get()).pod); })()"
podnet down --name "$lab"
trap - EXIT
