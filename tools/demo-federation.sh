#!/bin/sh
# A local federation of four `peer run` processes on loopback, each with its own synthetic
# hospital: the rounds as peer-1 logs them, then `peer status --all`, then SIGTERM to all.
# Usage: tools/demo-federation.sh PEER_BINARY WORK_DIRECTORY
set -eu
BIN=$1
DIR=$2
ROUNDS=5
rm -rf "$DIR"
mkdir -p "$DIR"
PIDS=""
cleanup() { [ -n "$PIDS" ] && kill $PIDS 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$BIN" topology generate ring --peers 4 --out "$DIR/ring-4.json" --keys-dir "$DIR/keys" --base-port 47400 \
    --model small-cnn --image-size 48 --rounds $ROUNDS --local-epochs 3 --optimizer adam --learning-rate 0.01
for i in 1 2 3 4; do
    "$BIN" data synth --out "$DIR/data/peer-$i" --images 300 --size 128 --positive-rate 0.5 --seed "$i" --site "$i" > /dev/null 2>&1
done
echo "four synthetic hospitals of 300 images each, half of them positive, in $DIR/data (site profiles 1-4)"
for i in 1 2 3 4; do
    "$BIN" run --topology "$DIR/ring-4.json" --id "peer-$i" --key "$DIR/keys/peer-$i.key" --data "$DIR/data/peer-$i" \
        --state "$DIR/state/peer-$i" --linger 2> "$DIR/peer-$i.log" &
    PIDS="$PIDS $!"
done
echo "started four peers (logs in $DIR/peer-N.log); peer-1's rounds:"
shown=0
while [ "$(grep -l "all $ROUNDS rounds done" "$DIR"/peer-*.log 2>/dev/null | wc -l)" -lt 4 ]; do
    for pid in $PIDS; do
        kill -0 "$pid" 2>/dev/null || { echo "a peer exited early:"; tail -n 5 "$DIR"/peer-*.log; exit 1; }
    done
    lines=$(grep -c " round [0-9]* [a-z-]*: contributors" "$DIR/peer-1.log" || true)
    if [ "$lines" -gt "$shown" ]; then
        grep " round [0-9]* [a-z-]*: contributors" "$DIR/peer-1.log" | tail -n +"$((shown + 1))" | cut -d' ' -f2-
        shown=$lines
    fi
    sleep 1
done
grep " round [0-9]* [a-z-]*: contributors" "$DIR/peer-1.log" | tail -n +"$((shown + 1))" | cut -d' ' -f2-
echo
"$BIN" status --topology "$DIR/ring-4.json" --all
echo
"$BIN" status --topology "$DIR/ring-4.json" --id peer-1
kill -TERM $PIDS
wait $PIDS
PIDS=""
echo "stopped all four peers (SIGTERM); their checkpoints and journals are in $DIR/state"
