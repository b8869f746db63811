"""The monitoring collector: Prometheus rules and a live Prometheus, Grafana dashboards, Alertmanager routes,
and which ML Test Score monitoring concern each covers."""
