"""gradeschool.build"""
