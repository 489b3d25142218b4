"""Exercise and self-test figures drawn from data.

A figure is part of the knowledge base (the ``figure:`` block of an exercise or
self-test): a view, props and two to four keyframes of joint angles. This
package holds everything that turns that data into pictures, kept apart from
the web and PDF code so other outputs (e.g. a video renderer) can reuse the
body model:

* :mod:`.spec` - the pydantic schema of a ``figure:`` block;
* :mod:`.model` - the body model: segments with fixed lengths, joint ranges,
  forward kinematics and projection to a side or front view;
* :mod:`.anatomy` - where each muscle is drawn on the body;
* :mod:`.checks` - what ``kneecoach kb check`` verifies about a figure;
* :mod:`.render_svg` - deterministic line-art SVG (animated and static strips).
"""
