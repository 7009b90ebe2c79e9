"""gradeschool.leaderboard"""
