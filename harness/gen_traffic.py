#!/usr/bin/env python3
"""Generate the traffic recordings in fixtures/traffic/ (JSONL, DESIGN.md "Traffic").

Deterministic: every file comes from random.Random(SEED + file name), so running
this again gives byte-identical files. Python 3 standard library only.

    python3 harness/gen_traffic.py [--out fixtures/traffic] [--day-records 6000]

One file per scenario of scenarios/ (named like the scenario), plus
retail-day.jsonl: a labelled day of retail traffic (`truth` on every record) in
English, Chinese and mixed text, from the labelled phrasings of
fixtures/phrasings.tsv and from templates over the people of
fixtures/directory.yaml.
"""
import argparse
import json
import math
import os
import random
import sys

SEED = 20261204
MCHID = "1900000109"
PENDING_MCHID = "1900000200"
REF = {"reference_time": "2026-12-04T20:00:00+08:00"}
PATH = "/v3/ai/order-routing"

# People of fixtures/directory.yaml that resolve without ambiguity.
PEOPLE = [
    # openid, English forms, Chinese forms
    ("o_bob", ["Bob", "bob", "Bob Chen"], ["鲍勃", "小波", "陈波"]),
    ("o_dave", ["Dave", "dave", "David"], ["大卫", "戴维"]),
    ("o_carol", ["Carol", "Carol Wu"], ["卡罗尔", "吴珂"]),
    ("o_xiaoming", ["Xiaoming", "Xiao Ming"], ["小明", "王小明"]),
    ("o_lihua", ["Li Hua"], ["李华", "华华"]),
    ("o_wangfang", ["Wang Fang"], ["王芳", "芳芳"]),
]

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def rec(rid, at_ms, text, merchant=MCHID, locale=None, payer="o_carol", extra=None, **kw):
    body = {"text": text, "payer": {"openid": payer}, "context": dict(REF)}
    if locale:
        body["locale"] = locale
    if extra:
        body.update(extra)
    r = {"id": rid, "at_ms": int(at_ms), "merchant": merchant, "endpoint": "order_routing",
         "request": {"method": "POST", "path": PATH, "body": body}}
    for k, v in kw.items():
        if v is not None:
            r[k] = v
    return r


def fraud(rid, at_ms, amount, payee, chat=None, merchant=MCHID, **kw):
    body = {"transaction": {"amount": {"total": amount, "currency": "CNY"},
                            "payer": {"openid": "o_carol"}, "payee": {"openid": payee},
                            "channel": "p2p"},
            "device": {"fingerprint": "fp_carol_iphone14", "ip": "203.0.113.7"}}
    if chat:
        body["chat"] = [{"from": "payee", "text": chat}]
    r = {"id": rid, "at_ms": int(at_ms), "merchant": merchant, "endpoint": "fraud_score",
         "request": {"method": "POST", "path": "/v3/ai/fraud-score", "body": body}}
    r.update({k: v for k, v in kw.items() if v is not None})
    return r


def phrasings():
    """Labelled rows of fixtures/phrasings.tsv that name an intent and an amount."""
    rows = []
    path = os.path.join(ROOT, "fixtures", "phrasings.tsv")
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.startswith("#") or n == 1 or not line.strip():
                    continue
                cols = line.rstrip("\n").split("\t")
                if len(cols) < 6 or cols[1] in ("clarify", "intent") or not cols[2].isdigit():
                    continue
                rows.append({"text": cols[0], "intent": cols[1], "total": int(cols[2]),
                             "currency": cols[3], "lang": cols[5]})
    except OSError:
        pass
    return rows


def amount(rng):
    """An everyday retail amount in whole yuan, most of them small."""
    return int(round(math.exp(rng.uniform(math.log(5), math.log(2000)))))


def templated(rng):
    """(text, truth, lang, locale) from a template with a known reading."""
    oid, en, zh = rng.choice(PEOPLE)
    oid2, en2, zh2 = rng.choice([p for p in PEOPLE if p[0] != oid])
    n = amount(rng)
    lang = rng.choices(["en", "zh", "mixed"], weights=[45, 40, 15])[0]
    if lang == "en":
        kind = rng.choice(["pay", "pay", "transfer", "split_bill"])
        name, name2 = rng.choice(en), rng.choice(en2)
        if kind == "pay":
            text = rng.choice([f"pay {name} {n} yuan", f"Pay {name} ¥{n}", f"pay {name} {n} rmb",
                               f"please pay {name} {n} yuan for the groceries"])
        elif kind == "transfer":
            text = rng.choice([f"send {name} {n} yuan", f"transfer {n} rmb to {name}",
                               f"send ¥{n} to {name}"])
        else:
            text = f"split {n} yuan between {name} and {name2}"
        locale = rng.choice([None, "en-US", "en-GB"])
    elif lang == "zh":
        kind = rng.choice(["pay", "transfer", "transfer", "split_bill"])
        name, name2 = rng.choice(zh), rng.choice(zh2)
        if kind == "pay":
            text = rng.choice([f"付给{name}{n}元", f"帮我付{name}{n}块钱"])
        elif kind == "transfer":
            text = rng.choice([f"给{name}转{n}元", f"转账{n}元给{name}"])
        else:
            text = f"{name}和{name2}平分{n}元"
        locale = rng.choice([None, "zh-CN"])
    else:
        kind = rng.choice(["pay", "transfer"])
        if kind == "pay":
            text = f"pay {rng.choice(zh)} {n}元"
        else:
            text = f"给{rng.choice(en)}转 {n} RMB"
        locale = None
    return text, {"intent": kind, "amount_total": n * 100, "currency": "CNY"}, lang, locale


def day_time(rng):
    """A moment of the day in ms, shaped like retail traffic: lunch and evening peaks."""
    while True:
        h = rng.choice([rng.gauss(12.5, 1.2), rng.gauss(19.5, 1.8), rng.uniform(7, 23)])
        if 0 <= h < 24:
            return int(h * 3600 * 1000)


def retail_day(rng, n):
    rows = phrasings()
    out = []
    for i in range(n):
        if rows and rng.random() < 0.4:
            p = rng.choice(rows)
            text, truth = p["text"], {"intent": p["intent"], "amount_total": p["total"],
                                      "currency": p["currency"]}
            locale = {"zh": "zh-CN", "en": "en-US"}.get(p["lang"]) if rng.random() < 0.5 else None
        else:
            text, truth, _, locale = templated(rng)
        answers = {"tip_rate": "15"} if "tip" in text.lower() else None
        out.append((day_time(rng), text, truth, locale, answers))
    out.sort(key=lambda t: t[0])
    return [rec(f"day-{i + 1:05d}", at, text, locale=loc, truth=truth, answers=ans)
            for i, (at, text, truth, loc, ans) in enumerate(out)]


def default(rng):
    recs = [
        rec("def-0001", 0, "my usual coffee", truth={"intent": "pay", "amount_total": 3200,
            "currency": "CNY"}, expect={"status": 200, "intent": "pay"}),
        rec("def-0002", 200, "split the dinner bill from last night between Alice and Bob, "
            "with Alice paying the tip", answers={"tip_rate": "15"}, expect={"status": [202]}),
        rec("def-0003", 400, "simulate outage please", expect={"status": [503]}),
        rec("def-0004", 600, "把昨晚的晚饭钱和小波平分", expect={"status": [200, 202]}),
        rec("def-0005", 800, "pay Bob 50 yuan", truth={"intent": "pay", "amount_total": 5000,
            "currency": "CNY"}, expect={"status": [200, 202]}),
        rec("def-0006", 900, "deposit for the flat in Chaoyang 50,000 yuan",
            expect={"status": [200, 202]}),
        rec("def-0007", 950, "お昼代を払って 1000円", locale="ja-JP"),
        fraud("def-0008", 1000, 50000, "o_mallory", chat="please hurry, it's urgent!!",
              expect={"status": 200}),
        fraud("def-0009", 1050, 3000, "o_bob", expect={"status": 200}),
        rec("def-0010", 1100, "pay bob 50", merchant=PENDING_MCHID, expect={"status": 400}),
    ]
    t = 1200
    for i in range(90):
        text, truth, _, loc = templated(rng)
        recs.append(rec(f"def-{i + 11:04d}", t, text, locale=loc, truth=truth,
                        expect={"status": [200, 202]}))
        t += rng.randint(20, 80)
    return recs


def low_confidence(rng):
    slang = ["lol pay bob 20", "ngl send dave like 20", "bruh pay carol back fr",
             "tbh just pay xiaoming 20 lol", "pay da guy 20 lol"]
    recs = []
    t = 0
    for i in range(200):
        # Few phrases, many times: the hybrid client's cache should catch the repeats.
        text = rng.choice(slang) if rng.random() < 0.7 else templated(rng)[0]
        recs.append(rec(f"low-{i + 1:04d}", t, text, expect={"status": [200, 202]}))
        t += rng.randint(5, 30)
    return recs


def clarifications(rng):
    recs = []
    t = 0
    for i in range(120):
        oid, en, zh = rng.choice(PEOPLE)
        kind = i % 4
        if kind == 0:
            text, ans = f"add a tip for {rng.choice(en)} on the dinner", {"tip_rate": "15"}
        elif kind == 1:
            text, ans = f"pay {rng.choice(en)} ${amount(rng)}", {"currency": "CNY"}
        elif kind == 2:
            text, ans = f"pay {en[0]}", {"amount": str(amount(rng))}
        else:
            text, ans = f"pay {en[0]}", None  # the user walks away from the question
        recs.append(rec(f"clr-{i + 1:04d}", t, text, answers=ans, expect={"status": [200, 202]}))
        t += rng.randint(20, 60)
    return recs


def viral_spike(rng):
    recs = []
    # A quiet second, then 400 requests in two seconds: well over 20/s with a burst of 40.
    for i in range(20):
        recs.append(rec(f"vir-{i + 1:04d}", i * 50, templated(rng)[0],
                        expect={"status": [200, 202]}))
    for i in range(400):
        recs.append(rec(f"vir-{i + 21:04d}", 1000 + i * 5, templated(rng)[0],
                        expect={"status": [200, 202, 429]}))
    for i in range(60):
        recs.append(fraud(f"vir-f{i + 1:03d}", 1000 + i * 20, amount(rng) * 100,
                          rng.choice(PEOPLE)[0], expect={"status": [200, 429]}))
    recs.sort(key=lambda r: r["at_ms"])
    return recs


def outage_failover(rng):
    recs = []
    # 8 s of steady traffic; the scenario's outage runs from 3 s to 5 s.
    for i in range(160):
        at = i * 50
        recs.append(rec(f"out-{i + 1:04d}", at, templated(rng)[0],
                        expect={"status": [200, 202, 503]}))
    for i in range(40):
        recs.append(fraud(f"out-f{i + 1:03d}", i * 200 + 25, amount(rng) * 100,
                          rng.choice(PEOPLE)[0], expect={"status": [200, 500]}))
    recs.sort(key=lambda r: r["at_ms"])
    return recs


def quarterly_drift(rng):
    recs = []
    t = 0
    for i in range(1000):
        text, truth, _, loc = templated(rng)
        recs.append(rec(f"qd-{i + 1:05d}", t, text, locale=loc, truth=truth))
        t += rng.randint(2, 8)
    return recs


def high_stakes(rng):
    recs = []
    t = 0
    texts = [("deposit for the flat in Chaoyang", "pending_review"),
             ("pay the apartment deposit", "pending_review"),
             ("transfer 8000 yuan to Bob", None),
             ("pay Dave 20 yuan", None),
             ("给房东转房租", None)]
    for i in range(60):
        text, _ = texts[i % len(texts)]
        recs.append(rec(f"hs-{i + 1:04d}", t, text, expect={"status": [200, 202]}))
        t += rng.randint(20, 60)
    return recs


def key_rotation(rng):
    recs = []
    # KEY-2026-A retires at 5 s: before, both keys sign; after, only B is accepted.
    for i in range(100):
        at = i * 100
        serial = "KEY-2026-A" if i % 2 == 0 else "KEY-2026-B"
        exp = [200, 202] if serial == "KEY-2026-B" or at < 4500 else [401]
        if 4500 <= at < 5500 and serial == "KEY-2026-A":
            exp = [200, 202, 401]  # the edge of the retirement: either is right
        r = rec(f"kr-{i + 1:04d}", at, templated(rng)[0], expect={"status": exp})
        r["serial"] = serial
        recs.append(r)
    return recs


def scope_not_approved(rng):
    # The merchant's token request is refused with invalid_scope: 400 on every record.
    return [rec(f"sna-{i + 1:04d}", i * 100, templated(rng)[0], expect={"status": [400]})
            for i in range(20)]


FILES = {
    "default": default,
    "low-confidence": low_confidence,
    "clarifications": clarifications,
    "viral-spike": viral_spike,
    "outage-failover": outage_failover,
    "quarterly-drift": quarterly_drift,
    "high-stakes-review": high_stakes,
    "key-rotation": key_rotation,
    "scope-not-approved": scope_not_approved,
}


def write(path, recs):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "fixtures", "traffic"))
    ap.add_argument("--day-records", type=int, default=6000)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name, fn in FILES.items():
        write(os.path.join(a.out, name + ".jsonl"), fn(random.Random(f"{SEED}:{name}")))
    write(os.path.join(a.out, "retail-day.jsonl"),
          retail_day(random.Random(f"{SEED}:retail-day"), a.day_records))
    print(f"wrote {len(FILES) + 1} files to {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
