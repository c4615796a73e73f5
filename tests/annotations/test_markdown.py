"""Task text and responses render as safe Markdown on every screen that shows them."""

from django.urls import reverse

from annotations.models import Annotation, Project, Task
from annotations.templatetags.markdown_tags import markdown_html

HOSTILE = """Look at **this** and *that*:

<script>alert("stolen")</script>
<img src=x onerror=alert(1)>
[click me](javascript:alert(2)) and [docs](https://example.org/guide)

```python
print("<b>bold?</b>")
```

- first
- second
"""


def test_markdown_renders_code_lists_and_emphasis_and_leaves_html_and_script_links_inert():
    html = markdown_html(HOSTILE)
    assert '<pre><code class="language-python">print(&quot;&lt;b&gt;bold?&lt;/b&gt;&quot;)\n</code></pre>' in html
    assert "<ul>\n<li>first</li>\n<li>second</li>\n</ul>" in html
    assert "<strong>this</strong>" in html and "<em>that</em>" in html
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "[click me](javascript:alert(2))" in html and 'href="javascript' not in html
    assert '<a href="https://example.org/guide" rel="noopener noreferrer" target="_blank">docs</a>' in html


def test_markdown_keeps_single_line_breaks_and_shows_no_images():
    html = markdown_html("line one\nline two ![pixel](https://tracker.example/p.gif)")
    assert "line one<br />\nline two" in html
    assert "<img" not in html


def test_autolinks_only_to_web_addresses():
    html = markdown_html("<javascript:alert(1)> <data:text/html,hi> <https://ok.example>")
    assert 'href="javascript' not in html and 'href="data' not in html
    assert '<a href="https://ok.example"' in html


def _work(client, annotator, project):
    client.force_login(annotator)
    response = client.get(reverse("annotations:work", args=[project.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_write_task_prompt_renders_markdown_on_the_work_screen(client, annotator, make_project):
    project = make_project(Project.Kind.WRITE, members=[annotator], tasks=0)
    Task.objects.create(project=project, payload={"prompt": HOSTILE})
    body = _work(client, annotator, project)
    prompt = body.split('data-testid="task-prompt">')[1].split("</div>")[0]
    assert "<pre><code" in prompt and "<li>first</li>" in prompt
    assert "<script>alert" not in body and 'href="javascript' not in body


def test_both_responses_of_a_compare_task_render_markdown(client, annotator, make_project):
    project = make_project(Project.Kind.COMPARE, members=[annotator], tasks=0)
    Task.objects.create(
        project=project,
        payload={
            "prompt": "Which *sorts* better?",
            "response_a": "Use `sorted()`:\n\n```\nsorted(xs)\n```",
            "response_b": "1. copy the list\n2. call **sort**\n\n<script>alert(1)</script>",
        },
    )
    body = _work(client, annotator, project)
    left = body.split('data-testid="response-left">')[1].split("</div>")[0]
    right = body.split('data-testid="response-right">')[1].split("</div>")[0]
    a, b = (left, right) if "sorted" in left else (right, left)
    assert "<code>sorted()</code>" in a and "<pre><code>sorted(xs)\n</code></pre>" in a
    assert "<ol>\n<li>copy the list</li>" in b and "<strong>sort</strong>" in b
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in b and "<script>alert(1)" not in body
    assert "Which <em>sorts</em> better?" in body


def test_the_reviewer_sees_the_task_and_both_responses_as_markdown(client, annotator, reviewer, make_project):
    from tests.annotations.review_helpers import submitted

    project = make_project(Project.Kind.COMPARE, members=[annotator, reviewer], tasks=0)
    task = Task.objects.create(
        project=project,
        payload={"prompt": "Say *hi*", "response_a": "- one\n- two", "response_b": "```\ncode()\n```"},
    )
    result = {
        "dimensions": {"accuracy": {"choice": "a", "strength": 1}, "helpfulness": {"choice": "tie"}},
        "overall": {"choice": "a", "strength": 2},
        "rationale": "A lists.",
    }
    annotation = submitted(project, annotator, task=task, result=result)
    assert annotation.state == Annotation.State.SUBMITTED
    client.force_login(reviewer)
    response = client.get(reverse("annotations:review_annotation", args=[annotation.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Say <em>hi</em>" in body
    assert "<li>one</li>" in body and "<pre><code>code()\n</code></pre>" in body
