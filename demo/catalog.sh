#!/usr/bin/env bash
# Loads the demo catalog into an origin: a restaurant with slots, pacing, a season and
# numbered tables on a terrace and in a hall (H3+H4 push together for 7-8), a
# restaurant open 12 hours a day (the shape that once broke the edge), a bakery with daily
# capacity, a shop SKU with stock, and a hybrid experience.
# Usage: demo/catalog.sh ORIGIN_URL SELLER_TOKEN
set -euo pipefail
origin="$1"; token="$2"
d() { date -u -d "$1" +%F; }
week() { printf '{"mon":%s,"tue":%s,"wed":%s,"thu":%s,"fri":%s,"sat":%s,"sun":%s}' "$1" "$1" "$1" "$1" "$1" "$1" "$1"; }

put() {
  local id="$1" body="$2" code
  code=$(curl -sS -o /tmp/aforo-demo-$id.json -w '%{http_code}' -X PUT "$origin/v1/resources/$id" \
    -H "authorization: Bearer $token" -H 'content-type: application/json' --data-binary "$body")
  case "$code" in
    200|201) echo "  $id ($code)";;
    *) echo "demo catalog: $id refused ($code): $(cat /tmp/aforo-demo-$id.json)" >&2; exit 1;;
  esac
}

put trattoria "$(cat <<JSON
{"name": "Trattoria — dinner", "timezone": "Europe/Madrid",
 "dimensions": {"daily": {"capacity": 120},
                "slots": {"duration_min": 90, "interval_min": 15, "capacity": 24, "concurrent": 60,
                          "pacing": {"window_min": 15, "max": 16},
                          "tables": [{"id": "T1", "seats": [1, 2], "area": "terrace", "tags": ["window"]},
                                     {"id": "T2", "seats": [1, 2], "area": "terrace"},
                                     {"id": "T3", "seats": [1, 2], "area": "terrace"},
                                     {"id": "T4", "seats": [1, 2], "area": "terrace"},
                                     {"id": "T5", "seats": [2, 4], "area": "terrace"},
                                     {"id": "T6", "seats": [2, 4], "area": "terrace"},
                                     {"id": "H1", "seats": [1, 2], "area": "hall"},
                                     {"id": "H2", "seats": [1, 2], "area": "hall"},
                                     {"id": "H3", "seats": [2, 4], "area": "hall"},
                                     {"id": "H4", "seats": [2, 4], "area": "hall"},
                                     {"id": "H5", "seats": [2, 4], "area": "hall"},
                                     {"id": "H6", "seats": [2, 4], "area": "hall"},
                                     {"id": "H7", "seats": [2, 4], "area": "hall"},
                                     {"id": "H8", "seats": [2, 4], "area": "hall"},
                                     {"id": "H9", "seats": [5, 6], "area": "hall", "tags": ["booth"]},
                                     {"id": "H10", "seats": [5, 6], "area": "hall"}],
                          "combinations": [{"of": ["H3", "H4"], "seats": [7, 8]}]}},
 "hours": $(week '[["13:00","16:00"],["20:00","23:30"]]'),
 "closures": [{"from": "$(d '+20 days')", "to": "$(d '+22 days')", "reason": "vacaciones"}],
 "seasons": [{"name": "temporada alta", "from": "$(d 'today')", "to": "$(d '+30 days')", "priority": 10,
              "overrides": {"slot_capacity": 30, "price_multiplier": 1.2}}],
 "lead_time_min": 60, "cutoff": {"days_before": 0, "at": "18:00"}, "horizon_days": 60,
 "qty": {"min": 1, "max": 8}, "hold_ttl_s": 600,
 "pricing": {"currency": "EUR", "base_minor": 2500,
             "triggers": [{"utilization_gte": 0.7, "multiplier": 1.15, "tier": "high"},
                          {"utilization_gte": 0.9, "multiplier": 1.3, "tier": "peak"}]}}
JSON
)"

put casa-lola "$(cat <<JSON
{"name": "Casa Lola — open 10:00-22:00", "timezone": "Europe/Madrid",
 "dimensions": {"daily": {"capacity": 400},
                "slots": {"duration_min": 90, "interval_min": 15, "capacity": 24, "concurrent": 80,
                          "pacing": {"window_min": 15, "max": 16},
                          "tables": [{"type": "2-top", "count": 8, "seats": [1, 2]},
                                     {"type": "4-top", "count": 10, "seats": [2, 4]},
                                     {"type": "6-top", "count": 3, "seats": [4, 6]}],
                          "joins": [{"of": ["4-top", "4-top"], "seats": [6, 8]}]}},
 "hours": $(week '[["10:00","22:00"]]'),
 "lead_time_min": 30, "horizon_days": 366, "qty": {"min": 1, "max": 8},
 "pricing": {"currency": "EUR", "base_minor": 2500,
             "triggers": [{"utilization_gte": 0.7, "multiplier": 1.15, "tier": "high"},
                          {"utilization_gte": 0.9, "multiplier": 1.3, "tier": "peak"}]}}
JSON
)"

put bakery "$(cat <<JSON
{"name": "Obrador — roscón de reyes", "timezone": "Europe/Madrid",
 "dimensions": {"daily": {"capacity": 80}},
 "hours": $(week '[["08:00","14:00"]]'),
 "lead_time_min": 120, "horizon_days": 30, "qty": {"min": 1, "max": 6},
 "pricing": {"currency": "EUR", "base_minor": 1850}}
JSON
)"

put panettone '{"name": "Panettone 1kg", "timezone": "Europe/Madrid", "dimensions": {"stock": {"on_hand": 40}},
 "qty": {"max": 4}, "pricing": {"currency": "EUR", "base_minor": 2990}}'

put tapas-tour "$(cat <<JSON
{"name": "Tapas tour with tasting kit", "timezone": "Europe/Madrid",
 "dimensions": {"stock": {"on_hand": 200}, "daily": {"capacity": 36},
                "slots": {"duration_min": 150, "interval_min": 180, "capacity": 12}},
 "hours": $(week '[["11:00","22:00"]]'), "lead_time_min": 180, "horizon_days": 45,
 "qty": {"min": 1, "max": 10},
 "pricing": {"currency": "EUR", "base_minor": 4500,
             "triggers": [{"utilization_gte": 0.75, "multiplier": 1.1, "tier": "busy"}]}}
JSON
)"
