"""gradeschool.learner"""
