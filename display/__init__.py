"""The hall display (综合屏), the window display (窗口屏) and voice calls (语音叫号).

Talks to the queue server only over MQTT (``queue_server.protocol``). The view models
(``hall_board``, ``window_board``) and the call ``sequencer`` are plain Python; Kivy lives in ``ui``
and is imported only when a screen is opened.
"""
