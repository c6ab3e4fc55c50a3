#!/usr/bin/env bats
# uplift-score: Hillstrom's e-mail experiment (../shared/data/uplift, missing
# data fails, naming it) checked against an independent awk computation,
# the T-learner's Qini/AUUC and predictions, identity errors, audience maps.

load ../helpers

# Hillstrom CSV (one quoted field with a comma, CRLF) -> NDJSON, id = row number.
hillstrom_ndjson() { # CSV
  awk '
    function parse(line,   i, c, f, q, n) {
      n = 0; f = ""; q = 0
      for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (q) { if (c == "\"") q = 0; else f = f c }
        else if (c == "\"") q = 1
        else if (c == ",") { fld[++n] = f; f = "" }
        else f = f c
      }
      fld[++n] = f
      return n
    }
    { sub(/\r$/, "") }
    NR == 1 { next }
    {
      if (parse($0) != 12) { print "bad line " NR > "/dev/stderr"; exit 1 }
      printf "{\"id\":%d,\"recency\":%s,\"history_segment\":\"%s\",\"history\":%s,\"mens\":%s,\"womens\":%s,\"zip_code\":\"%s\",\"newbie\":%s,\"channel\":\"%s\",\"segment\":\"%s\",\"visit\":%s,\"conversion\":%s,\"spend\":%s}\n", NR - 1, fld[1], fld[2], fld[3], fld[4], fld[5], fld[6], fld[7], fld[8], fld[9], fld[10], fld[11], fld[12]
    }' "$1"
}

setup_file() {
  local csv
  csv="$(shared_data)/uplift/hillstrom.csv"
  [ -f "$csv" ] || { echo "missing shared data: $csv" >&2; return 1; }
  hillstrom_ndjson "$csv" > "$BATS_FILE_TMPDIR/h.ndjson"
}

eval "helpers_$(declare -f setup)"
setup() {
  helpers_setup
  unset AELP2_RUN_ID AELP2_STEP_REPORT
  H="$BATS_FILE_TMPDIR/h.ndjson"
}

COV=recency,history,mens,womens,newbie,zip_code,channel,history_segment
us() { run --separate-stderr uplift-score --run-id r1 --date 2025-03-03 --id id --treatment segment \
  --control 'No E-Mail' "$@"; }

@test "Hillstrom: 64,000 units, the three arms of Hillstrom's description" {
  [ "$(wc -l < "$H")" -eq 64000 ]
  [ "$(grep -c '"segment":"Womens E-Mail"' "$H")" -eq 21387 ]
  [ "$(grep -c '"segment":"Mens E-Mail"' "$H")" -eq 21307 ]
  [ "$(grep -c '"segment":"No E-Mail"' "$H")" -eq 21306 ]
}

@test "Hillstrom diff_in_means: both arms x visit, conversion, spend equal an awk difference in means, inside their 90% intervals" {
  us --outcome visit,conversion,spend "$H"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "$(echo "$output" | jq -s '[.[] | select(._table == "segment_scores_daily")] | length')" -eq 6 ]
  # independent means: sums and counts per arm, differences against No E-Mail
  awk -F'"segment":"' '{
      split($2, parts, "\""); arm = parts[1]
      match($0, /"visit":[0-9.]+/); v = substr($0, RSTART + 8, RLENGTH - 8)
      match($0, /"conversion":[0-9.]+/); c = substr($0, RSTART + 13, RLENGTH - 13)
      match($0, /"spend":[0-9.]+/); s = substr($0, RSTART + 8, RLENGTH - 8)
      n[arm]++; sv[arm] += v; sc[arm] += c; ss[arm] += s
    } END {
      split("Mens E-Mail,Womens E-Mail", arms, ",")
      for (k = 1; k <= 2; k++) {
        a = arms[k]; z = "No E-Mail"
        printf "{\"arm\":\"%s\",\"outcome\":\"visit\",\"d\":%.17g,\"nt\":%d,\"nc\":%d}\n", a, sv[a]/n[a] - sv[z]/n[z], n[a], n[z]
        printf "{\"arm\":\"%s\",\"outcome\":\"conversion\",\"d\":%.17g,\"nt\":%d,\"nc\":%d}\n", a, sc[a]/n[a] - sc[z]/n[z], n[a], n[z]
        printf "{\"arm\":\"%s\",\"outcome\":\"spend\",\"d\":%.17g,\"nt\":%d,\"nc\":%d}\n", a, ss[a]/n[a] - ss[z]/n[z], n[a], n[z]
      }
    }' "$H" > "$BATS_TEST_TMPDIR/awk.ndjson"
  [ "$(wc -l < "$BATS_TEST_TMPDIR/awk.ndjson")" -eq 6 ]
  echo "$output" | jq -s -e --slurpfile w "$BATS_TEST_TMPDIR/awk.ndjson" '
    [.[] | select(._table == "segment_scores_daily")] as $r |
    all($w[0], $w[1], $w[2], $w[3], $w[4], $w[5]; . as $x |
      ($r | map(select(.arm == $x.arm and .outcome == $x.outcome and .segment == "all"
                       and .model == "diff_in_means"))) as $m |
      ($m | length) == 1 and
      (($m[0].uplift - $x.d) | fabs) < 1e-9 and
      $m[0].uplift_low <= $x.d and $x.d <= $m[0].uplift_high and
      $m[0].uplift_low < $m[0].uplift_high and
      $m[0].n_treated == $x.nt and $m[0].n_control == $x.nc and
      $m[0].date == "2025-03-03" and $m[0].model_version != null)'
  # the published visit uplifts, to 4 decimals
  echo "$output" | jq -s -e '
    def u(a; o): map(select(.arm == a and .outcome == o and .segment == "all"))[0].uplift;
    ((u("Womens E-Mail"; "visit") * 1e4 | round) == 452) and
    ((u("Mens E-Mail"; "visit") * 1e4 | round) == 766)'
  # one uplift_models row per arm and outcome, keyed RUN_ID:ESTIMATOR:ARM:OUTCOME
  echo "$output" | jq -s -e '[.[] | select(._table == "uplift_models")] |
    length == 6 and all(.[]; .model_id == "r1:diff_in_means:\(.arm):\(.outcome)" and .control == "No E-Mail")
    and (map(select(.outcome == "spend"))[0].outcome_type == "continuous")
    and (map(select(.outcome == "visit"))[0].outcome_type == "binary")'
}

@test "Hillstrom t_learner: Qini and AUUC finite for the binary outcomes, segments and quantiles" {
  us --outcome visit,conversion -m t_learner,diff_in_means --covariates "$COV" --segment zip_code \
    --quantiles 4 "$H"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  echo "$output" | jq -s -e '[.[] | select(._table == "uplift_models" and .estimator == "t_learner")] |
    length == 4 and all(.[]; (.qini | type) == "number" and (.auuc | type) == "number"
      and (.qini | isinfinite | not) and (.auuc | isinfinite | not)
      and (.features | length) == 16 and .features[0] == "(intercept)"
      and (.coefficients.control | length) == 16 and (.coefficients.treated | length) == 16
      and .details.folds == 2)'
  # all + 3 zip codes + q1..q4 per arm and outcome, intervals around the estimate
  echo "$output" | jq -s -e '[.[] | select(._table == "segment_scores_daily" and .model == "t_learner")] |
    length == 2 * 2 * 8 and
    ([.[].segment] | unique) == ["Rural","Surburban","Urban","all","q1","q2","q3","q4"] and
    all(.[]; .uplift_low <= .uplift and .uplift <= .uplift_high)'
  # the quantile units add up to the arm and control
  echo "$output" | jq -s -e '[.[] | select(.model == "t_learner" and .arm == "Mens E-Mail"
      and .outcome == "visit" and (.segment | startswith("q")))] |
    (map(.n_treated) | add) == 21307 and (map(.n_control) | add) == 21306'
}

@test "--folds 1 --predictions: one line per unit, whose mean is the t_learner's 'all' uplift" {
  grep -v '"segment":"Mens E-Mail"' "$H" > "$BATS_TEST_TMPDIR/w.ndjson"
  us --outcome visit -m t_learner --covariates "$COV" --folds 1 --arms 'Womens E-Mail' \
    --predictions "$BATS_TEST_TMPDIR/p.ndjson" "$BATS_TEST_TMPDIR/w.ndjson"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  [ "$(wc -l < "$BATS_TEST_TMPDIR/p.ndjson")" -eq 42693 ]
  head -n 1 "$BATS_TEST_TMPDIR/p.ndjson" | jq -e '(.id | type) == "number" and .model == "t_learner"
    and .arm == "Womens E-Mail" and .outcome == "visit" and (.treated == 0 or .treated == 1)
    and (.uplift | type) == "number"'
  mean="$(jq -s 'map(.uplift) | add / length' "$BATS_TEST_TMPDIR/p.ndjson")"
  echo "$output" | jq -s -e --argjson m "$mean" '
    map(select(.model == "t_learner" and .segment == "all"))[0].uplift as $u | (($u - $m) | fabs) < 1e-9'
}

@test "the same seed gives the same rows (folds and x_learner bootstrap)" {
  head -n 3000 "$H" > "$BATS_TEST_TMPDIR/s.ndjson"
  us --outcome visit -m x_learner --covariates recency,history,newbie --bootstrap 20 --seed 9 \
    "$BATS_TEST_TMPDIR/s.ndjson"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  a="$(echo "$output" | jq -c 'del(.created_at)')"
  us --outcome visit -m x_learner --covariates recency,history,newbie --bootstrap 20 --seed 9 \
    "$BATS_TEST_TMPDIR/s.ndjson"
  [ "$(echo "$output" | jq -c 'del(.created_at)')" = "$a" ]
  echo "$output" | jq -s -e '[.[] | select(._table == "uplift_models")] | all(.[];
    (.coefficients | keys) == ["control","tau_control","tau_treated","treated"] and .details.bootstrap == 20)'
}

@test "--propensity adds ipw and dr, close to the difference in means on randomised data" {
  us --outcome visit --covariates recency,history,newbie --propensity "$H"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  echo "$output" | jq -s -e '
    . as $rows | def u(m; a): $rows | map(select(.model == m and .arm == a and .segment == "all"))[0];
    all("Mens E-Mail", "Womens E-Mail"; . as $a |
      (u("diff_in_means"; $a).uplift) as $d |
      (u("ipw"; $a) | .uplift_low <= $d and $d <= .uplift_high) and
      (u("dr"; $a) | .uplift_low <= $d and $d <= .uplift_high))'
}

bad() { # TEXT MESSAGE: exit 65, FILE:LINE message, nothing on stdout
  printf '%s\n' "$1" > "$BATS_TEST_TMPDIR/bad.ndjson"
  run --separate-stderr uplift-score --id id --treatment arm --outcome y --covariates x \
    "${@:3}" "$BATS_TEST_TMPDIR/bad.ndjson"
  [ "$status" -eq 65 ] || { echo "status $status: $stderr"; false; }
  [ -z "$output" ]
  [[ "$stderr" == *"$2"* ]] || { echo "stderr: $stderr"; false; }
}

@test "identity checks: line numbers, exit 65, nothing written" {
  printf '%s\n' '{"id":"a","arm":1,"y":1,"x":1}' '{"id":"b","arm":0,"y":1,"x":1}' '{"id":"a","arm":0,"y":1,"x":1}' \
    > "$BATS_TEST_TMPDIR/dup.ndjson"
  run --separate-stderr uplift-score --id id --treatment arm --outcome y "$BATS_TEST_TMPDIR/dup.ndjson"
  [ "$status" -eq 65 ] && [ -z "$output" ]
  [[ "$stderr" == *"dup.ndjson:3: duplicate id 'a' (first on $BATS_TEST_TMPDIR/dup.ndjson:1)" ]]
  ok='{"id":1,"arm":1,"y":1,"x":0.5}'
  bad "$ok"$'\n''{"arm":0,"y":1,"x":0.5}' "bad.ndjson:2: no id"
  bad "$ok"$'\n''{"id":2,"arm":0,"y":1,"x":1}'$'\n''{"id":1,"arm":0,"y":0,"x":2}' \
    "bad.ndjson:3: duplicate id '1' (first on "
  bad "$ok"$'\n''{"id":2,"arm":7,"y":1,"x":1}' "bad.ndjson:2: the treatment is not a name or 0/1/true/false"
  bad "$ok"$'\n''{"id":2,"arm":0,"x":1}' "bad.ndjson:2: outcome 'y' missing"
  bad "$ok"$'\n''{"id":2,"arm":0,"y":"1","x":1}' "bad.ndjson:2: outcome 'y' is not a number"
  bad "$ok"$'\n''{"id":2,"arm":0,"y":1}' "bad.ndjson:2: covariate 'x' missing"
  bad '{"id":1,"arm":"A","y":1,"x":1}'$'\n''{"id":2,"arm":"C","y":1,"x":1}'$'\n''{"id":3,"arm":"B","y":1,"x":1}' \
    "bad.ndjson:3: treatment 'B' is neither the control 'C' nor an arm of --arms" --control C --arms A
  bad "$ok"$'\n''not json' "bad.ndjson:2: not a JSON object"
  bad "$ok"$'\n''{"id":2,"arm":0,"y":1,"x":"\ud800"}' "bad.ndjson:2: unpaired surrogate in a \\u escape"
  bad "$ok"$'\n''{"id":2,"arm":0,"y":1,"x":1' "bad.ndjson:2: expected ',' or '}'"
}

@test "usage errors exit 2" {
  printf '%s\n' '{"id":1,"arm":"A","y":1}' '{"id":2,"arm":"B","y":0}' > "$BATS_TEST_TMPDIR/in.ndjson"
  run --separate-stderr uplift-score --treatment arm --outcome y "$BATS_TEST_TMPDIR/in.ndjson"
  [ "$status" -eq 2 ]
  run --separate-stderr uplift-score --id id --treatment arm --outcome y "$BATS_TEST_TMPDIR/in.ndjson"
  [ "$status" -eq 2 ] && [[ "$stderr" == *"--control"* ]]
  run --separate-stderr uplift-score --id id --treatment arm --outcome y --control A --quantiles 4 \
    "$BATS_TEST_TMPDIR/in.ndjson"
  [ "$status" -eq 2 ]
  run --separate-stderr uplift-score --id id --treatment arm --outcome y --control A -m s_learner \
    "$BATS_TEST_TMPDIR/in.ndjson"
  [ "$status" -eq 2 ]
  run uplift-score --help
  [ "$status" -eq 0 ] && [[ "$output" == *"qini_auc_score"* ]] && [[ "$output" == *"65"* ]]
}

@test "--audience-map: CSV rows checked and emitted; a bad platform or an unscored segment is exit 65" {
  printf 'segment,platform,audience_id,audience_name,active\n%s\n%s\n' \
    'all,meta,123,"Everyone, really",true' 'Urban,google_ads,987,,false' > "$BATS_TEST_TMPDIR/map.csv"
  us --outcome visit --segment zip_code --audience-map "$BATS_TEST_TMPDIR/map.csv" "$H"
  [ "$status" -eq 0 ] || { echo "$stderr"; false; }
  echo "$output" | jq -s -e --arg src "$BATS_TEST_TMPDIR/map.csv" '
    [.[] | select(._table == "segment_audience_map")] | length == 2 and
    .[0].audience_name == "Everyone, really" and .[0].active == true and .[1].active == false and
    .[1].audience_name == null and all(.[]; .source == $src and .run_id == "r1")'
  printf '%s\n' '{"segment":"all","platform":"myspace","audience_id":"1"}' > "$BATS_TEST_TMPDIR/m2.ndjson"
  us --outcome visit --audience-map "$BATS_TEST_TMPDIR/m2.ndjson" "$H"
  [ "$status" -eq 65 ] && [ -z "$output" ] && [[ "$stderr" == *"m2.ndjson:1: platform 'myspace'"* ]]
  printf '%s\n' '{"segment":"all","platform":"meta","audience_id":"1"}' \
    '{"segment":"Urban","platform":"meta","audience_id":"2"}' > "$BATS_TEST_TMPDIR/m3.ndjson"
  us --outcome visit --audience-map "$BATS_TEST_TMPDIR/m3.ndjson" "$H"
  [ "$status" -eq 65 ] && [ -z "$output" ] && [[ "$stderr" == *"m3.ndjson:2: segment 'Urban' is not one this run scored"* ]]
}
