"""The PyQt6 desktop window: live video with skeletons, actions per person, timeline, controls."""
