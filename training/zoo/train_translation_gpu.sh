#!/usr/bin/env bash
# The translation models' GPU run (issues 26 and 27): paired data made from the content photos, then four GAN
# trainings side by side on one GPU (each is far too small to fill an H200 alone). As run on one NVIDIA H200 lent
# for one session:
#
#   bash training/zoo/train_translation_gpu.sh PHOTOS VANGOGH OUT [MINUTES]
#
# PHOTOS: the 713 content photos (carried as WebP, quality 50, shorter side 256, to fit the 64 MiB that travels);
# VANGOGH: the five Van Gogh paintings of ../shared/data/styles (longest side 768, JPEG quality 88); OUT: where
# pairs, checkpoints and logs go; MINUTES: each training's time limit (the learning rate falls linearly to zero over
# its second half). A CPU dry run of the whole pipeline:
#   DEVICE=cpu LIMIT=4 GATYS_STEPS=2 bash training/zoo/train_translation_gpu.sh PHOTOS VANGOGH /tmp/dry 0.2
set -euo pipefail
PHOTOS=$1 VANGOGH=$2 OUT=$3 MINUTES=${4:-4}
PAINTING=$VANGOGH/vangogh_starry_night.jpg
DEVICE=${DEVICE:-cuda}
LIMIT=${LIMIT:+--limit $LIMIT}
GATYS_STEPS=${GATYS_STEPS:-100}
SC="python3 -m stylecast.runtime.cli"
mkdir -p "$OUT"
COMMON="--steps 1000000 --batch-size 16 --size 256 --device $DEVICE --workers 3 --quiet"

# 1. Pairs: grayscale -> colour (on the CPU) while Gatys makes photo -> The Starry Night targets on the GPU
#    (content relu4_2, style relu1_1-relu5_1 at weight 5, 100 L-BFGS steps from the photo, 64 photos at a time).
$SC make-pairs --task gray2color --photos "$PHOTOS" --out "$OUT/pairs_gray" --size 256 $LIMIT --quiet &
gray=$!
(time $SC make-pairs --task stylize --style "$PAINTING" --photos "$PHOTOS" --out "$OUT/pairs_starry" --size 256 \
    --gatys-steps "$GATYS_STEPS" --batch 64 --device "$DEVICE" $LIMIT --quiet) > "$OUT/gatys.log" 2>&1 &
gatys=$!
wait $gray

# 2. vangogh-cyclegan: photos <-> Van Gogh's manner from his five paintings here (crops at twice the crop size),
#    the real-time LiteNet as both generators; and colorize-pix2pix: the real-time U-Net (about 11,000 MACs per
#    pixel), luminance in, colour out.
$SC train-gan --method cyclegan --domain-a "$PHOTOS" --domain-b "$VANGOGH" --out "$OUT/vangogh-cyclegan.pt" \
    --name vangogh --task style --licence "Public domain paintings; photos: BSDS500, Urban100, SUN-Hays80, McMaster, \
Set5, Set14 (research use)" --time-limit "$(python3 -c "print($MINUTES + 1)")" \
    --steps 1000000 --batch-size 8 --size 256 --device "$DEVICE" --workers 3 --quiet > "$OUT/cyclegan.log" 2>&1 &
cyclegan=$!
$SC train-gan --method pix2pix --pairs "$OUT/pairs_gray" --out "$OUT/colorize-pix2pix.pt" --name colorize \
    --task colorize --model-setting grayscale_input=true --licence "photos: BSDS500, Urban100, SUN-Hays80, \
McMaster, Set5, Set14 (research use)" --time-limit "$(python3 -c "print($MINUTES + 1)")" $COMMON \
    > "$OUT/colorize.log" 2>&1 &
colorize=$!
wait $gatys

# 3. The Starry Night learnt from pairs: pix2pix's U-Net and pix2pixHD's global + local generator.
$SC train-gan --method pix2pix --pairs "$OUT/pairs_starry" --out "$OUT/starry_night-pix2pix.pt" \
    --name starry_night --task style --licence "Public domain painting; photos as above" \
    --time-limit "$MINUTES" $COMMON > "$OUT/starry_pix2pix.log" 2>&1 &
p2p=$!
$SC train-gan --method pix2pixhd --pairs "$OUT/pairs_starry" --out "$OUT/starry_night-pix2pixhd.pt" \
    --name starry_night --task style --licence "Public domain painting; photos as above" \
    --time-limit "$MINUTES" $COMMON > "$OUT/starry_pix2pixhd.log" 2>&1 &
hd=$!
status=0
for job in $colorize $p2p $hd $cyclegan; do wait "$job" || status=1; done
exit $status
