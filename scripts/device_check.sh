#!/bin/bash
# The GPU checks of issues 9 and 12 in one device call (about 9 minutes on one H100/H200):
#   A. the seed's TPL train step, eager, against the source before the CPAB op-count work (6c881b5^);
#   B. three seed-scale Penn Action runs side by side (TPL, TPL + common-warp penalty, DTAN + TCC), 30 epochs;
#   C. the train step with compile=True.
# Prepare on the development machine, in the repo root (all three folders are ignored by git):
#   mkdir -p .gpu/base && git archive 6c881b5^ src | tar -x -C .gpu/base      # the "before" source
#   cp -r ../shared/data/penn_action .penn                                     # the data (11 MB)
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --platform manylinux_2_28_x86_64 -d .whl av
# then run it with the device tool, carrying .whl .penn .gpu: bash scripts/device_check.sh
set -u
export PYTHONUNBUFFERED=1
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD/src
mkdir -p ../shared/data && ln -sfn "$PWD/.penn" ../shared/data/penn_action
LOG=$OUT/all.log
{ nvidia-smi --query-gpu=name,memory.total --format=csv; nproc; python3 -c "import torch, av; print(torch.__version__, torch.cuda.get_device_name())"; } 2>&1 | tee -a $LOG
echo "== A: train step, eager ($(date +%T))" | tee -a $LOG
timeout 100 python3 benchmarks/bench_train_step.py --device cuda --steps 20 --baseline .gpu/base/src 2>&1 | grep -v USDT | tee -a $LOG
echo "== B: Penn, three processes side by side ($(date +%T))" | tee -a $LOG
mkdir -p /tmp/r
P="python3 benchmarks/bench_penn.py --device cuda"
(timeout 350 $P --skip dtan tcc test-time --tpl epochs=30 --save-models $OUT/tpl --out /tmp/r/penn_tpl.md > /tmp/r/log_tpl 2>&1; echo "tpl rc $?" >> /tmp/r/log_tpl) &
(timeout 350 $P --skip dtan tcc test-time --tpl epochs=30 center_weight=10 icae_weight=4 anneal_center=0.5 --save-models $OUT/tplc --out /tmp/r/penn_tpl_center.md > /tmp/r/log_tplc 2>&1; echo "tplc rc $?" >> /tmp/r/log_tplc) &
(timeout 350 $P --skip tpl test-time --dtan epochs=30 --tcc epochs=1000 --out /tmp/r/penn_dtan_tcc.md > /tmp/r/log_dt 2>&1; echo "dt rc $?" >> /tmp/r/log_dt) &
wait
for f in /tmp/r/log_*; do echo "--- $f"; grep -v USDT $f | tail -25; done >> $LOG
cp /tmp/r/*.md $OUT/ 2>/dev/null
echo "== C: train step, compile=True ($(date +%T))" | tee -a $LOG
timeout 140 python3 benchmarks/bench_train_step.py --device cuda --steps 20 --compile 2>&1 | grep -v USDT | tail -8 | tee -a $LOG
echo "== summary ($(date +%T))"
grep -h -A14 "^| action" /tmp/r/*.md
grep -h "speed-up\|^| this\|^| baseline" $LOG
