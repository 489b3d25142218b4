"""Single-leg squat from a phone video: clip -> landmarks -> reps -> per-side measures.

The output is plain self-test values (``valgus_angle_deg``, ``knee_falls_inward``) written into a
profile side, so the engine does not care that a camera was involved. Pose estimation
(:mod:`kneecoach.video.pose`) needs the optional ``kneecoach[video]`` extra; the geometry, rep
segmentation, side detection and quality gates work on plain landmark arrays and need only numpy.
The numbers compare the runner's two sides and one day with another; they are not a diagnosis.
"""
