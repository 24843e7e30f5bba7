"""The company's scheduled posts: review, holds, the pause-all switch, and
a publisher that obeys all of them and sends each post at most once."""
