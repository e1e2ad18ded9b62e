#!/bin/bash
# The GPU checks of issues 9 and 12 in one device call (about 9.5 minutes on one H100/H200):
#   B. four seed-scale Penn Action processes side by side, full test split (695 clips of the 9 scored actions):
#      TPL (40 epochs), TPL + common-warp penalty, DTAN + TCC, test-time TPL (the sync default);
#   A. the seed's TPL train step, eager, against the source before the CPAB op-count work (6c881b5^);
#   C. the train step with compile=True.
# B comes first: its rows are written to $OUT as they finish, so a call cut short still returns them.
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
echo "== B: Penn, four processes side by side ($(date +%T))" | tee -a $LOG
P="timeout ${PENN_SECONDS:-400} python3 benchmarks/bench_penn.py --device cuda"
E=${PENN_EPOCHS:-40}
($P --skip dtan tcc test-time --tpl epochs=$E --save-models $OUT/tpl --out $OUT/penn_tpl.md > $OUT/log_tpl 2>&1; echo "rc $?" >> $OUT/log_tpl) &
($P --skip dtan tcc test-time --tpl epochs=$E center_weight=10 icae_weight=4 anneal_center=0.5 --save-models $OUT/tplc --out $OUT/penn_tpl_center.md > $OUT/log_tplc 2>&1; echo "rc $?" >> $OUT/log_tplc) &
($P --skip tpl test-time --dtan epochs=$E --tcc epochs=1000 --out $OUT/penn_dtan_tcc.md > $OUT/log_dt 2>&1; echo "rc $?" >> $OUT/log_dt) &
($P --skip tpl dtan tcc --out $OUT/penn_test_time.md > $OUT/log_tt 2>&1; echo "rc $?" >> $OUT/log_tt) &
wait
for f in $OUT/log_*; do echo "--- $f"; grep -v USDT $f | tail -12; done >> $LOG
echo "== A: train step, eager ($(date +%T))" | tee -a $LOG
timeout 70 python3 benchmarks/bench_train_step.py --device cuda --steps 20 --baseline .gpu/base/src 2>&1 | grep -v USDT | tee -a $LOG
echo "== C: train step, compile=True ($(date +%T))" | tee -a $LOG
timeout 90 python3 benchmarks/bench_train_step.py --device cuda --steps 20 --compile 2>&1 | grep -v USDT | tail -8 | tee -a $LOG
echo "== summary ($(date +%T))"
grep -h -A15 "^| action" $OUT/*.md
grep -h "speed-up\|^| this\|^| baseline" $LOG
