#!/bin/bash
# How the shipped zoo was trained: all twelve models at once on one GPU (an H100; the run that made the zoo also
# had four TransformerNets with --style-weight 1 beside them, 16 processes in all), each for a fixed time rather
# than a fixed step count, then resumed once for a little more:
#
#   bash training/zoo/train_gpu.sh CONTENT_DIR STYLES_DIR OUT_DIR 15      # minutes per run
#   EXTRA=--resume bash training/zoo/train_gpu.sh CONTENT_DIR STYLES_DIR OUT_DIR 3.3
#
# The TransformerNets were then trained again from random weights, with the learning rate falling to zero over the
# last 30% of the run (six processes on the GPU: these four, a LiteNet and an experiment):
#
#   ONLY=transformer EXTRA="--lr-decay 0.3" bash training/zoo/train_gpu.sh CONTENT_DIR STYLES_DIR OUT_DIR 13
#
# The experiment beside them ("ceiling-transformer" in benchmarks/results/experiments/quality_h100_lr_decay.json) was
# starry_night-transformer's command with --data naming a folder that holds astronaut.png alone: how close a
# TransformerNet gets to Gatys on the one photo it was trained on.
#
# The shipped TransformerNets are those models fine-tuned with the temporal loss (stable video, issue 7), twice
# in a row: 7.6 minutes from the checkpoints above (seven runs sharing the GPU), then 6 more from that result
# (beside three experiments for most of it); the first stage's files were named NAME-transformer-stable.pt:
#
#   ONLY=transformer INIT=training/zoo EXTRA="--lr-decay 0.3 --temporal-weight 60" \
#       bash training/zoo/train_gpu.sh CONTENT_DIR STYLES_DIR STAGE1_DIR 7.6
#   ONLY=transformer INIT=STAGE1_DIR EXTRA="--lr-decay 0.3 --temporal-weight 60" \
#       bash training/zoo/train_gpu.sh CONTENT_DIR STYLES_DIR OUT_DIR 6
#
# The -stable LiteNets were later fine-tuned from their base LiteNets on a 2-core CPU instead (250 steps of batch 4
# each, temporal weight 60, 15 for great_wave, 5 for composition_vii, --lr-decay 0.3; the command is in README.md,
# "Shipped models"), which kept their style: trained from random weights with the temporal loss (the line below),
# they lost up to 63% of it on video.
#
# STYLE_WEIGHT (default 2, the weight of every run above) sets --style-weight. The shipped LiteNets but the_scream
# are the LiteNets above fine-tuned at style weight 10 on a 2-core CPU (400 steps of batch 4), their -stable models
# fine-tuned from those (commands in README.md, "Shipped models"): at 10 starry_night-lite's output equals 4 times
# as many Gatys steps from the photo (benchmarks/results/experiments/quality_style_weight*.json). A GPU retraining of the zoo
# would pass STYLE_WEIGHT=10, TransformerNets included. The shipped TransformerNets are the ones above fine-tuned
# on the 2-core CPU too, 301-321 steps of batch 4 each (19 minutes) at style weight 10, temporal weight 60 kept
# (the_scream first at 5, then 251 steps at 10 from that; command in README.md, "Shipped models").
#
# then, per model: python -m stylecast.training.checkpoint [--half] OUT_DIR/NAME.pt (--half for transformers),
# copy into training/zoo/, `stylecast export --zoo`, `python -m stylecast.training.model_card`.
# The TransformerNets leave relu5_1 out of the style loss (README, "Shipped models": it brings their blobs sooner).
set -u
DATA=$1 STYLES=$2 OUT=$3 LIMIT=${4:-15}
mkdir -p "$OUT"
export OMP_NUM_THREADS=1
LIC="Public domain painting; digital reproduction of a 2D PD artwork (PD-Art)"
common=(--data "$DATA" --size 256 --batch-size 8 --style-size 512 --steps 200000 --time-limit "$LIMIT"
        --checkpoint-every 500 --preview-every 500 --log-every 50 --quiet --workers 1 --device cuda
        --style-weight "${STYLE_WEIGHT:-2}" --style-licence "$LIC" ${EXTRA:-})
train() {  # INIT=DIR: start each model from DIR's checkpoint of the same name
  local out=$1; shift
  stylecast train --out "$OUT/$out.pt" "${common[@]}" ${INIT:+--init "$INIT/$out.pt"} "$@" > "$OUT/$out.log" 2>&1 &
}
for pair in starry_night:vangogh_starry_night great_wave:hokusai_great_wave the_scream:munch_the_scream \
            composition_vii:kandinsky_composition_vii; do
  name=${pair%%:*} style=$STYLES/${pair#*:}.jpg
  if [ "${ONLY:-all}" != lite ]; then
    train "$name-transformer" --name "$name" --style "$style" --arch transformer \
      --style-layers relu1_1,relu2_1,relu3_1,relu4_1
  fi
  if [ "${ONLY:-all}" != transformer ]; then
    train "$name-lite" --name "$name" --style "$style" --arch lite
    train "$name-lite-stable" --name "$name" --style "$style" --arch lite --temporal-weight 60
  fi
done
wait
