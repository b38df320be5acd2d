"""The demo behind `hub demo`: run.py (the command's steps), clients.py (the demo's OAuth
clients), feeds.py (the synthetic feeds from hub.synthetic), story.py (a child process that
approves, uploads and queries over HTTP, as partners would), guide.py (what it prints about
each view), lsoas.py (the synthetic map points the repository ships).

Nothing below the doors imports this package.
"""
