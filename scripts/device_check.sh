#!/bin/bash
# The GPU checks of issues 9 and 12 in one device call (about 9.5 minutes on one H100/H200):
#   B. four seed-scale Penn Action processes side by side on the full test split (695 clips of the 9 scored
#      actions): TPL (40 epochs, lr 1e-3) with the latent + position row, TPL with the DTAN prior 0.1, DTAN + TCC,
#      test-time TPL (the sync default). The raw and identity rows come from the H200 run of 2026-11-27
#      (--baselines-from; CPU work, the same on any machine: recomputed on the 2-core CPU, 7.04 and 6.63 again);
#   A. the seed's TPL train step, eager, against the source before the CPAB op-count work (6c881b5^), and with
#      loc_length=64;
#   C. the train step with compile=True;
#   D. the unit tests that need CUDA (pytest -m gpu: CPAB and the TPL/DTAN estimators on the device), first, ~1 min.
# D, then B. The device tool returns only a few files, so everything lands in $OUT/all.log, $OUT/penn_all.md
# and $OUT/models.tar.
# Prepare on the development machine, in the repo root (all three folders are ignored by git):
#   mkdir -p .gpu/base && git archive 6c881b5^ src | tar -x -C .gpu/base      # the "before" source
#   cp -r ../shared/data/penn_action .penn                                     # the data (11 MB)
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --platform manylinux_2_28_x86_64 -d .whl av
#   pip download --no-deps --only-binary=:all: --python-version 3.12 -d .whl pytest pluggy iniconfig packaging
# then run it with the device tool, carrying .whl .penn .gpu: bash scripts/device_check.sh
set -u
export PYTHONUNBUFFERED=1
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD/src
mkdir -p ../shared/data && ln -sfn "$PWD/.penn" ../shared/data/penn_action
LOG=$OUT/all.log
R=/tmp/r
mkdir -p $R
{ nvidia-smi --query-gpu=name,memory.total --format=csv; nproc; python3 -c "import torch, av; print(torch.__version__, torch.cuda.get_device_name())"; } 2>&1 | tee -a $LOG
echo "== D: unit tests that need CUDA ($(date +%T))" | tee -a $LOG
timeout 180 python3 -m pytest -q --noconftest -p no:cacheprovider -m gpu tests/align/engine 2>&1 | tail -15 | tee -a $LOG
echo "== B: Penn, four processes side by side ($(date +%T))" | tee -a $LOG
P="timeout ${PENN_SECONDS:-400} python3 benchmarks/bench_penn.py --device cuda"
S="--baselines-from benchmarks/results/penn_full_h200_test_time.json --skip"
($P $S dtan tcc test-time --latent-rows --tpl epochs=40 --save-models $R/tpl --out $R/1_tpl.md > $R/log_1 2>&1; echo "rc $?" >> $R/log_1) &
($P $S dtan tcc test-time --latent-rows --tpl epochs=25 prior_weight=0.1 --save-models $R/tplp --out $R/2_tpl_prior.md > $R/log_2 2>&1; echo "rc $?" >> $R/log_2) &
($P $S tpl test-time --dtan epochs=25 --tcc epochs=1000 --save-models $R/dt --out $R/3_dtan_tcc.md > $R/log_3 2>&1; echo "rc $?" >> $R/log_3) &
($P $S tpl dtan tcc --out $R/4_test_time.md > $R/log_4 2>&1; echo "rc $?" >> $R/log_4) &
wait
for f in $R/log_*; do echo "--- $f"; grep -v USDT $f | grep -v "^ \|^Traceback" | tail -12; done >> $LOG
cat $R/*.md > $OUT/penn_all.md 2>/dev/null
(cd $R && tar -cf $OUT/models.tar tpl tplp dt 2>/dev/null)
echo "== A: train step, eager ($(date +%T))" | tee -a $LOG
timeout 90 python3 benchmarks/bench_train_step.py --device cuda --steps 20 --baseline .gpu/base/src --loc-length 64 2>&1 | grep -v USDT | tail -10 | tee -a $LOG
echo "== C: train step, compile=True ($(date +%T))" | tee -a $LOG
timeout 150 python3 benchmarks/bench_train_step.py --device cuda --steps 20 --compile 2>&1 | grep -v USDT | tail -8 | tee -a $LOG
echo "== summary ($(date +%T))"
grep -h -A15 "^| action" $OUT/penn_all.md
grep -h "speed-up\|^| this\|^| baseline" $LOG
grep -h "passed\|failed\|error" $LOG | head -3
