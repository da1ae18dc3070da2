#!/usr/bin/env python3
"""Writes deploy/mixin/tests/alerts_test.yaml, the promtool tests of every
alert the SLO spec generates. The scenarios are written here by hand, per
kind of SLI; what an alert is expected to carry (labels, summary, runbook)
comes from the spec. Run it after changing the spec, read the diff, commit:

    python3 deploy/mixin/tests/gen.py

Every events SLO gets five cases, on a series of N events a minute:
  burning    20x the budget for an hour: page and ticket fire
  fast-edge  five clean hours, then one hour exactly at 14.4x: the fast
             page pair is at its threshold and stays quiet; the slow page
             pair (6h at 2.4x) is below 6x; the ticket (2h at 7.2x) fires
  slow-edge  six hours exactly at 6x: no page (the 30m/6h pair is at its
             threshold, the 5m/1h pair below), the ticket fires
  at-target  six hours exactly at 1x (the objective itself): nothing fires
  floor      every event failing, but half the traffic floor: nothing fires;
             twice the floor: the page fires
The dispatch SLOs (breaches over stages due) get a sixth:
  nobody     every request's target passing unmet and the response-time
             histogram without a sample: page and ticket fire
Time-based SLOs (a gauge's share of time) get burning, slow-edge, at-target
and, for the outbox, the edge of what counts as old (exactly 60 s is not).
"""
import os
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = yaml.safe_load(open(os.path.join(HERE, "..", "slos.yaml")))
RUNBOOK = "https://github.com/guildhall/guildhall/blob/main/docs/runbooks/"
N = 10000  # events a minute, well above every floor

# How each SLO's SLI is fed: the series of its errors and of its good events
# (the total being their sum, as the SLI's queries add them up), or a gauge.
KINDS = {
    "api-availability": dict(
        labels={"service": "membership", "district": "jingkai"},
        bad='guildhall_endpoint_requests_total{service="membership",district="jingkai",endpoint="register_company",outcome="internal"}',
        good='guildhall_endpoint_requests_total{service="membership",district="jingkai",endpoint="register_company",outcome="success"}'),
    "dead-letters": dict(
        labels={"district": "jingkai"},
        bad='guildhall_eventbus_consumer_dead_lettered_total{district="jingkai",service="membership",topic="gh.jingkai.membership.v1",consumer="guildhall-hq"}',
        good='guildhall_eventbus_consumer_applied_total{district="jingkai",service="membership",topic="gh.jingkai.membership.v1",consumer="guildhall-hq"}',
        bad_in_total=True),
    "notice-delivery": dict(
        labels={"consumer": "messaging-jingkai-directives"},
        bad='guildhall_eventbus_consumer_dead_lettered_total{district="hq",service="directives",topic="gh.hq.directives.v1",consumer="messaging-jingkai-directives"}',
        good='guildhall_eventbus_consumer_applied_total{district="hq",service="directives",topic="gh.hq.directives.v1",consumer="messaging-jingkai-directives"}',
        bad_in_total=True),
}
for stage in ("accept", "arrive", "feedback"):
    KINDS["dispatch-" + stage] = dict(
        labels={"district": "jingkai"},
        bad='guildhall_dispatch_target_breaches_total{district="jingkai",stage="%s",urgency="urgent"}' % stage,
        due='guildhall_dispatch_due_total{district="jingkai",stage="%s",urgency="urgent"}' % stage,
        hist='guildhall_dispatch_time_to_%s_seconds_count{district="jingkai",urgency="urgent"}' % stage)


def counter(segments):
    """segments: [(minutes, per_minute)] -> promtool series values."""
    out, v = [], 0.0
    first = True
    for minutes, per in segments:
        if first:
            out.append("%s+%sx%d" % (fmt(v), fmt(per), minutes))
            v += per * minutes
            first = False
        else:
            out.append("%s+%sx%d" % (fmt(v + per), fmt(per), minutes - 1))
            v += per * minutes
    return " ".join(out)


def fmt(x):
    return ("%.6f" % x).rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def events_series(kind, segments):
    """segments: [(minutes, events_per_minute, error_fraction)]"""
    bad = [(m, n * f) for m, n, f in segments]
    if "due" in kind:
        return [dict(series=kind["bad"], values=counter(bad)),
                dict(series=kind["due"], values=counter([(m, n) for m, n, f in segments]))]
    good = [(m, n * (1 - f)) for m, n, f in segments]
    return [dict(series=kind["bad"], values=counter(bad)),
            dict(series=kind["good"], values=counter(good))]


def alert(slo, severity, labels):
    a = slo["alerting"]
    ls = dict(labels)
    ls.update({"owner": SPEC["labels"]["owner"], "sloth_id": "guildhall-" + slo["name"],
               "sloth_service": "guildhall", "sloth_slo": slo["name"], "sloth_severity": severity,
               "severity": severity})
    ls.update(slo.get("labels", {}))
    ls.update(a.get("labels", {}))
    summary = a["annotations"]["summary"]
    for k, v in labels.items():
        summary = summary.replace("{{$labels.%s}}" % k, v)
    ann = {"summary": summary, "runbook_url": RUNBOOK + a["name"] + ".md",
           "title": "(%s) guildhall %s SLO error budget burn rate is too fast." % (severity, slo["name"])}
    if "traffic_floor_per_hour" in a["annotations"]:
        ann["traffic_floor_per_hour"] = a["annotations"]["traffic_floor_per_hour"]
    return dict(exp_labels=ls, exp_annotations=ann)


def case(name, series, eval_min, slo, severities, labels):
    return {"name": name, "interval": "1m", "input_series": series,
            "alert_rule_test": [{"eval_time": "%dm" % eval_min, "alertname": slo["alerting"]["name"],
                                 "exp_alerts": [alert(slo, s, labels) for s in severities]}]}


def budget(slo):
    return round(100 - slo["objective"], 6) / 100


tests = []
for slo in SPEC["slos"]:
    name, b = slo["name"], budget(slo)
    a = slo["alerting"]["name"]
    if name in KINDS:
        k = KINDS[name]
        fl = float(slo["alerting"]["annotations"].get("traffic_floor_per_hour", 0))
        tests.append(case(a + " burning at 20x the budget for an hour: page and ticket fire",
                          events_series(k, [(60, N, min(1, 20 * b))]), 60, slo, ["page", "ticket"], k["labels"]))
        tests.append(case(a + " exactly at 14.4x for the last hour: no page, the ticket fires",
                          events_series(k, [(300, N, 0), (60, N, 14.4 * b)]), 360, slo, ["ticket"], k["labels"]))
        tests.append(case(a + " exactly at 6x for six hours: no page, the ticket fires",
                          events_series(k, [(360, N, 6 * b)]), 360, slo, ["ticket"], k["labels"]))
        tests.append(case(a + " exactly at the objective for six hours: nothing fires",
                          events_series(k, [(360, N, b)]), 360, slo, [], k["labels"]))
        if fl:
            tests.append(case(a + " every event failing at half the traffic floor: nothing fires",
                              events_series(k, [(120, fl / 60 / 2, 1)]), 120, slo, [], k["labels"]))
            tests.append(case(a + " every event failing at twice the traffic floor: page and ticket fire",
                              events_series(k, [(120, fl / 60 * 2, 1)]), 120, slo, ["page", "ticket"], k["labels"]))
        if "hist" in k:
            # Nobody on duty or nobody answering: every request's target
            # passes unmet, no stage is reached, the histogram has no
            # sample at all; the SLI (÷ stages due) still sees them all.
            tests.append(case(a + " nobody answers %g requests an hour, the histogram empty: page and ticket fire" % (fl * 2),
                              events_series(k, [(120, fl / 60 * 2, 1)]) + [dict(series=k["hist"], values="0x120")],
                              120, slo, ["page", "ticket"], k["labels"]))
    elif name == "api-latency":
        labels = {"service": "membership", "district": "jingkai"}
        base = 'guildhall_endpoint_request_duration_seconds_%s{service="membership",district="jingkai",endpoint="register_company"%s}'

        def lat(segments):  # (minutes, n, slow fraction)
            return [dict(series=base % ("count", ""), values=counter([(m, n) for m, n, f in segments])),
                    dict(series=base % ("bucket", ',le="0.5"'), values=counter([(m, n * (1 - f)) for m, n, f in segments]))]
        tests.append(case(a + " 20% of requests slower than 500 ms for an hour: page and ticket fire",
                          lat([(60, N, 0.2)]), 60, slo, ["page", "ticket"], labels))
        tests.append(case(a + " exactly at 14.4x for the last hour: no page, the ticket fires",
                          lat([(300, N, 0), (60, N, 14.4 * b)]), 360, slo, ["ticket"], labels))
        tests.append(case(a + " exactly at 6x for six hours: no page, the ticket fires",
                          lat([(360, N, 6 * b)]), 360, slo, ["ticket"], labels))
        tests.append(case(a + " exactly at the objective for six hours: nothing fires",
                          lat([(360, N, b)]), 360, slo, [], labels))
        tests.append(case(a + " every request slow at half the traffic floor: nothing fires",
                          lat([(120, 0.5, 1)]), 120, slo, [], labels))
        tests.append(case(a + " every request slow at twice the traffic floor: page and ticket fire",
                          lat([(120, 2, 1)]), 120, slo, ["page", "ticket"], labels))
    elif name == "district-lag":
        labels = {"district": "jingkai"}
        base = 'guildhall_eventbus_event_age_seconds_%s{district="jingkai",service="membership",topic="gh.jingkai.membership.v1",consumer="hq"%s}'

        def age(segments):  # (minutes, n, late fraction): late is older than 30 s
            return [dict(series=base % ("count", ""), values=counter([(m, n) for m, n, f in segments])),
                    dict(series=base % ("bucket", ',le="30"'), values=counter([(m, n * (1 - f)) for m, n, f in segments]))]
        tests.append(case(a + " 20% of events older than 30 s at HQ for an hour: page and ticket fire",
                          age([(60, N, 0.2)]), 60, slo, ["page", "ticket"], labels))
        tests.append(case(a + " exactly at 14.4x for the last hour: no page, the ticket fires",
                          age([(300, N, 0), (60, N, 14.4 * b)]), 360, slo, ["ticket"], labels))
        tests.append(case(a + " exactly at 6x for six hours: no page, the ticket fires",
                          age([(360, N, 6 * b)]), 360, slo, ["ticket"], labels))
        tests.append(case(a + " lag p99 exactly at the target (1% late) for six hours: nothing fires",
                          age([(360, N, b)]), 360, slo, [], labels))
        tests.append(case(a + " every event late at half the traffic floor: nothing fires",
                          age([(120, 0.5, 1)]), 120, slo, [], labels))
        tests.append(case(a + " every event late at twice the traffic floor: page and ticket fire",
                          age([(120, 2, 1)]), 120, slo, ["page", "ticket"], labels))
        # Another consumer of the district's topics (a district service's
        # own) lagging is not HQ's freshness.
        other = base.replace('consumer="hq"', 'consumer="compliance-jingkai-membership"')
        hb = base.replace('service="membership",topic="gh.jingkai.membership.v1"', 'service="node",topic="gh.jingkai.node.v1"')
        tests.append(case(a + " events late, heartbeats on time and many: page and ticket fire",
                          [dict(series=hb % ("count", ""), values=counter([(60, N)])),
                           dict(series=hb % ("bucket", ',le="30"'), values=counter([(60, N)]))] + age([(60, 100, 1)]),
                          60, slo, ["page", "ticket"], labels))
        tests.append(case(a + " a district service's consumer late, HQ's on time: nothing fires",
                          [dict(series=other % ("count", ""), values=counter([(60, N)])),
                           dict(series=other % ("bucket", ',le="30"'), values=counter([(60, 0)]))] + age([(60, N, 0)]),
                          60, slo, [], labels))
    elif name == "district-freshness":
        labels = {"district": "jingkai"}
        s = 'guildhall_hq_district_stale{district="jingkai"}'
        # A 0/1 gauge's share of time, written as its value: 0.03 is a
        # district stale for 3% of every window.
        tests.append(case(a + " stale for an hour: page and ticket fire",
                          [dict(series=s, values="1x60")], 60, slo, ["page", "ticket"], labels))
        tests.append(case(a + " stale exactly 6x the budget's share of six hours: no page, the ticket fires",
                          [dict(series=s, values="%sx360" % fmt(6 * b))], 360, slo, ["ticket"], labels))
        tests.append(case(a + " stale exactly the objective's share of six hours: nothing fires",
                          [dict(series=s, values="%sx360" % fmt(b))], 360, slo, [], labels))
        tests.append(case(a + " fresh all night: nothing fires",
                          [dict(series=s, values="0x360")], 360, slo, [], labels))
    elif name == "outbox-backlog-age":
        labels = {"district": "jingkai", "service": "membership"}
        s = 'guildhall_hq_district_outbox_oldest_unsent_age_seconds{district="jingkai",service="membership"}'
        tests.append(case(a + " rows five minutes old for an hour: page and ticket fire",
                          [dict(series=s, values="300x60")], 60, slo, ["page", "ticket"], labels))
        tests.append(case(a + " the oldest row exactly 60 s old for six hours is not old: nothing fires",
                          [dict(series=s, values="60x360")], 360, slo, [], labels))
        tests.append(case(a + " 61 s old for six hours: page and ticket fire",
                          [dict(series=s, values="61x360")], 360, slo, ["page", "ticket"], labels))
    else:
        raise SystemExit("gen.py: no scenarios for SLO " + name)

out = {"rule_files": ["../rules.yaml"], "evaluation_interval": "1m", "tests": tests}
with open(os.path.join(HERE, "alerts_test.yaml"), "w") as f:
    f.write("# Code generated by deploy/mixin/tests/gen.py (the scenarios are written there). DO NOT EDIT.\n")
    yaml.safe_dump(out, f, sort_keys=False, width=200, allow_unicode=True)
