"""Demo content for `manage.py seed_demo`: small, varied, and realistic enough to explore."""

TOPICS = [
    ("photosynthesis", "Explain how photosynthesis turns light into chemical energy for a 12-year-old."),
    ("tcp-handshake", "Explain the TCP three-way handshake and why it needs three steps."),
    ("inflation", "Explain what causes inflation, with one concrete everyday example."),
    ("vaccines", "Explain how mRNA vaccines train the immune system, without jargon."),
    ("git-rebase", "Explain when to use git rebase instead of git merge, and the main risk."),
    ("plate-tectonics", "Explain why earthquakes cluster along plate boundaries."),
    ("compound-interest", "Explain compound interest and show the effect over 30 years at 5%."),
    ("antibiotics", "Explain why antibiotics do not work against viral infections."),
    ("hash-tables", "Explain how a hash table achieves average O(1) lookups and when it degrades."),
    ("climate-feedback", "Explain two climate feedback loops, one amplifying and one damping."),
]

REFERENCES = {
    "photosynthesis": [
        (
            "Light reactions",
            "In the thylakoid membranes, chlorophyll absorbs light; water is split, releasing "
            "oxygen, and the energy is stored as ATP and NADPH.",
        ),
        (
            "Calvin cycle",
            "In the stroma, the enzyme RuBisCO fixes carbon dioxide; ATP and NADPH from the light "
            "reactions power the building of three-carbon sugars that become glucose.",
        ),
    ],
    "tcp-handshake": [
        (
            "RFC 9293 summary",
            "A connection opens with SYN, SYN-ACK, ACK. Each side chooses an initial sequence "
            "number and must learn that the other received it.",
        ),
    ],
}

CLASSIFY_TEXTS = [
    ("The battery died after two days and support never answered my emails.", "negative"),
    ("Setup took five minutes and it has worked flawlessly since.", "positive"),
    ("It arrived on Tuesday. The box was blue.", "neutral"),
    ("Great screen, but the speakers are tinny and the stand wobbles.", "mixed"),
    ("Absolutely love it, my kids use it every day.", "positive"),
    ("Refund took six weeks. Never again.", "negative"),
    ("The manual is 40 pages long.", "neutral"),
    ("Fast shipping, though the colour is not what the photo showed.", "mixed"),
    ("Best purchase I have made this year.", "positive"),
    ("Stopped charging after the first update.", "negative"),
    ("It weighs about as much as a paperback.", "neutral"),
    ("Comfortable to wear, but the strap broke in a month.", "mixed"),
]

COMPARE_PAIRS = [
    (
        "What is the boiling point of water at sea level?",
        "Water boils at 100 °C (212 °F) at sea level, at a pressure of one atmosphere.",
        "Water boils at around 90 degrees, depending on the pot.",
    ),
    (
        "Give me a one-line summary of the French Revolution.",
        "From 1789 to 1799, France overthrew its absolute monarchy, proclaimed a republic, and spread ideas of "
        "citizenship and rights, amid terror and war.",
        "It was a revolution in France.",
    ),
    (
        "How do I reverse a list in Python?",
        "Use `my_list.reverse()` to reverse in place, or `my_list[::-1]` for a reversed copy.",
        "Use `reversed(my_list)`; note it returns an iterator, so wrap it in `list()` if you need a list.",
    ),
    (
        "Is it safe to mix bleach and ammonia for cleaning?",
        "No. Mixing them releases toxic chloramine gas. Use one product at a time and ventilate.",
        "Yes, mixing them makes a stronger cleaner.",
    ),
    (
        "Write a haiku about autumn.",
        "Maple leaves let go / the wind keeps what the tree lost / one red flame at dusk",
        "Autumn is a season when leaves fall from the trees and it gets colder.",
    ),
    ("What's the capital of Australia?", "Canberra.", "Sydney is the capital of Australia."),
    (
        "Explain recursion in one sentence.",
        "Recursion is when a function solves a problem by calling itself on smaller instances until it reaches "
        "a case simple enough to answer directly.",
        "Recursion is recursion.",
    ),
    (
        "How many continents are there?",
        "By the most common convention, seven: Africa, Antarctica, Asia, Australia, Europe, North America and "
        "South America.",
        "There are seven continents, though some traditions count six by joining the Americas or Europe and Asia.",
    ),
    ("Suggest a name for a bakery.", "Rise & Shine Bakehouse", "Bread Store"),
    ("What does HTTP 404 mean?", "The server could not find the requested resource.", "It means the server is down."),
    ("Translate 'good morning' into Spanish.", "Buenos días.", "Buenas noches."),
    (
        "Why is the sky blue?",
        "Air molecules scatter short (blue) wavelengths of sunlight much more than long ones (Rayleigh "
        "scattering), so blue light reaches us from every direction.",
        "Because it reflects the ocean.",
    ),
    (
        "Recommend a beginner exercise routine.",
        "Three days a week: 10 minutes of brisk walking, then two rounds of 10 squats, 8 push-ups (on knees if "
        "needed) and a 20-second plank. Rest a day between sessions.",
        "Run a marathon next week to kick-start your fitness.",
    ),
    ("What is 17 × 23?", "391.", "17 × 23 = 381."),
    (
        "Give a tip for better sleep.",
        "Keep a fixed wake-up time every day, weekends included; it anchors your body clock.",
        "Drink coffee before bed to relax.",
    ),
    ("Who wrote 'Pride and Prejudice'?", "Jane Austen, published in 1813.", "Charlotte Brontë."),
    (
        "How do I center a div with CSS?",
        "On the parent: `display: flex; justify-content: center; align-items: center;`.",
        "Use `<center>` tags.",
    ),
    (
        "What's a healthy resting heart rate for adults?",
        "Usually 60 to 100 beats per minute; trained athletes may be lower.",
        "Anything above 150 is normal.",
    ),
    (
        "Summarise the plot of Romeo and Juliet in one sentence.",
        "Two young lovers from feuding families in Verona marry in secret, and a chain of misunderstandings ends "
        "in both their deaths, which reconciles the families.",
        "A love story in Italy.",
    ),
    (
        "Is the Great Wall of China visible from space with the naked eye?",
        "Not from orbit without aid: it is long but narrow, and astronauts report they cannot pick it out.",
        "Yes, it's the only man-made structure visible from the Moon.",
    ),
    (
        "What's the difference between weather and climate?",
        "Weather is the day-to-day state of the atmosphere; climate is the long-term average and variability "
        "of weather over decades.",
        "They mean the same thing.",
    ),
    ("Give an example of a prime number greater than 50.", "53.", "51."),
]
